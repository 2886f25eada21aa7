package devserver

import (
	_ "go.temporal.io/server/temporal"
	_ "go.temporal.io/server/temporaltest"
)
