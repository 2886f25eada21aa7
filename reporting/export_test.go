package reporting

import (
	"time"

	"grantflow/scheme"
)

// ReturnsDue exposes the return timetable to the external tests, which hold it equal to the
// workflows' own (this package cannot import workflows).
func ReturnsDue(years []int64, start *time.Time, days int) []time.Time {
	var out []time.Time
	for _, q := range fundedQuarters(years, start) {
		out = append(out, returnDue(q, scheme.Rules{ReturnDueDays: days}.ReturnDue()))
	}
	return out
}
