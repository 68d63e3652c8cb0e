#!/bin/sh
# One-shot (docker-compose service temporal-namespace, image
# temporalio/admin-tools): creates Switchboard's Temporal namespace once the
# server is healthy. The plain temporalio/server image, unlike the
# development-only auto-setup image, creates no namespace by itself.
#
# Follows temporalio/samples-server compose/scripts/create-namespace.sh and
# register_default_namespace in temporalio/docker-builds docker/auto-setup.sh:
# describe first, create only when missing, so re-runs are no-ops.
#
# Retention (how long closed workflow runs are kept, 72h by default) bounds
# the fastest-growing data: every delivery is a workflow run with its own
# history and visibility rows, so a longer retention grows the temporal and
# temporal_visibility databases proportionally. Changing NAMESPACE_RETENTION
# later only affects this script on a fresh volume; use
# `temporal operator namespace update --retention` on a running cluster.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set}"
: "${NAMESPACE:?NAMESPACE must be set}"
: "${NAMESPACE_RETENTION:=72h}"

i=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do
	i=$((i + 1))
	if [ "$i" -ge 60 ]; then
		echo "Temporal at $TEMPORAL_ADDRESS is not healthy after 60 attempts" >&2
		exit 1
	fi
	sleep 2
done

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
	echo "Namespace $NAMESPACE already exists."
else
	temporal operator namespace create --address "$TEMPORAL_ADDRESS" \
		--namespace "$NAMESPACE" \
		--retention "$NAMESPACE_RETENTION" \
		--description "Switchboard webhook deliveries"
	echo "Created namespace $NAMESPACE (retention $NAMESPACE_RETENTION)."
fi
