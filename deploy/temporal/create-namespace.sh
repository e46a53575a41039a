#!/bin/sh
# One-shot job in temporalio/admin-tools (docker-compose.yml service temporal-namespace): once the server answers,
# create the bridge's namespace (temporalio/server, unlike the retired auto-setup image, creates none) and register
# the bridge's search attributes. Idempotent. The bridge registers the same attributes itself at start-up; doing it
# here first means scaled-out bridge containers never race to add them. The list below must match
# workflows/search-attributes.ts — `npm run check:deploy` compares them.
set -eu

: "${TEMPORAL_ADDRESS:=temporal:7233}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${TEMPORAL_NAMESPACE_RETENTION:=30d}"
export TEMPORAL_ADDRESS

retry() {
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    if [ "$tries" -ge 30 ]; then
      echo "gave up after 30 tries: $*" >&2
      return 1
    fi
    sleep 2
  done
}

echo "Waiting for Temporal at ${TEMPORAL_ADDRESS}..."
retry temporal operator cluster health

if temporal operator namespace describe -n "$TEMPORAL_NAMESPACE" >/dev/null 2>&1; then
  echo "Namespace ${TEMPORAL_NAMESPACE} exists."
else
  echo "Creating namespace ${TEMPORAL_NAMESPACE} (retention ${TEMPORAL_NAMESPACE_RETENTION})..."
  temporal operator namespace create -n "$TEMPORAL_NAMESPACE" --retention "$TEMPORAL_NAMESPACE_RETENTION"
fi

# A new namespace takes a few seconds to reach every frontend: retry until the attributes are in.
retry temporal operator search-attribute create -n "$TEMPORAL_NAMESPACE" \
  --name KingdeeFormId --type Keyword \
  --name KingdeeBillNo --type Keyword \
  --name KingdeeAmount --type Double \
  --name Applicant --type Keyword \
  --name Approvers --type KeywordList \
  --name ApprovalStage --type Keyword \
  --name Escalated --type Bool
echo "Namespace ${TEMPORAL_NAMESPACE} ready."
