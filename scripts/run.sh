#!/usr/bin/env bash
# make run: serves kinship on the embedded SQLite store. On a database with
# no API client yet, creates one and prints it with a curl line to try.
set -euo pipefail
bin=${1:-build/kinship}
db=${KINSHIP_DB:-sqlite:data/kinship.db}
listen=${KINSHIP_LISTEN:-127.0.0.1:8080}
export KINSHIP_DB="$db" KINSHIP_LISTEN="$listen"
case "$db" in sqlite:*) mkdir -p "$(dirname "${db#sqlite:}")" ;; esac

key_file=data/.make-run-key
if [ -z "$("$bin" keys list)" ]; then
  mkdir -p data
  "$bin" keys create --account default > "$key_file"
  chmod 600 "$key_file"
fi
echo
if [ -s "$key_file" ]; then
  key=$(cat "$key_file")
  echo "API key (CLIENT_ID:CLIENT_SECRET): $key"
  echo "Try it:"
  echo "  curl -s -u '$key' -H 'Content-Type: application/json' http://$listen/customers"
  echo "Create a customer:"
  echo "  curl -s -u '$key' -H 'Content-Type: application/json' -X POST http://$listen/customers \\"
  echo "    -d '{\"legalName\":\"FinTech Solutions Inc.\",\"address\":{\"line1\":\"1 Main St\",\"town\":\"London\",\"postcode\":\"EC1A 1AA\",\"country\":\"GB\"},\"taxStatus\":\"TAXED\",\"contacts\":[{\"name\":\"Ann\",\"email\":\"ann@example.com\",\"billingPreference\":\"PRIMARY\"}]}'"
else
  echo "This database already has API clients (kinship keys list); create another with:"
  echo "  $bin keys create --account NAME"
fi
echo
exec "$bin" serve
