#!/bin/sh
# One-shot (docker-compose service temporal-search-attributes, image
# temporalio/admin-tools): registers the custom search attributes Switchboard
# sets on every delivery workflow, so operators can filter runs in the Web UI
# by org, endpoint, event type and status.
#
# Must match workflows/searchattrs.go (a test in devserver/ checks this file
# against it). Starting a workflow with an unregistered attribute fails, so
# the api and worker services wait for this one.
#
# With SQL visibility, custom search attributes are per namespace, hence
# --namespace. Re-running is harmless: the server skips attributes that
# already exist with the same type. The retry loop waits for the namespace
# created by temporal-namespace to reach the frontend's namespace cache, as
# add_custom_search_attributes in temporalio/docker-builds
# docker/auto-setup.sh does.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set}"
: "${NAMESPACE:?NAMESPACE must be set}"

i=0
until temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null; do
	i=$((i + 1))
	if [ "$i" -ge 60 ]; then
		echo "Namespace $NAMESPACE is not available on $TEMPORAL_ADDRESS" >&2
		exit 1
	fi
	sleep 1
done

temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" \
	--name SwitchboardOrg --type Keyword \
	--name SwitchboardEndpoint --type Keyword \
	--name SwitchboardEventType --type Keyword \
	--name SwitchboardStatus --type Keyword

temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE"
