#!/bin/sh
# Waits until the Temporal cluster reports healthy, then registers NAMESPACE (RETENTION days of
# closed workflows' history) unless it exists. Grantflow registers its own search attributes.
set -eu
: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set}"
NAMESPACE=${NAMESPACE:-default}
tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ "$tries" -ge 60 ]; then
		echo "Temporal at $TEMPORAL_ADDRESS is not healthy after 5 minutes" >&2
		exit 1
	fi
	sleep 5
done
if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
	echo "namespace $NAMESPACE exists"
else
	temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --retention "${RETENTION:-30d}"
	echo "namespace $NAMESPACE created"
fi
