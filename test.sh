#!/usr/bin/env bash
# The test command of README.md: gofmt, vet and staticcheck, the library
# under the race detector, everything else, a short stress run, and a
# smoke run of every benchmark.
set -euo pipefail
cd "$(dirname "$0")"

lib=(. ./asm/... ./internal/... ./g/... ./steal/... ./p/... ./preempt/... ./hook/... ./m/... ./stress/...)

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "not gofmt-ed: $unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...
(cd bench && go vet ./...)

# staticcheck at a fixed version (go run fetches it through the module
# proxy, as the modules above are): it found a loop that never looped and
# a variable unused on Linux that go vet did not.
echo "== staticcheck"
staticcheck=honnef.co/go/tools/cmd/staticcheck@v0.8.2
go run "$staticcheck" ./...
(cd bench && go run "$staticcheck" ./...)

echo "== go test -race (library packages)"
go test -race -short -count=1 -cpu 1,2,4 -timeout 15m "${lib[@]}"

echo "== go test (all packages, full sizes)"
go test -count=1 -timeout 15m ./...

echo "== stress run (200,000 Gs)"
go run ./cmd/usched stress -gs 200000 -seed 1 -progress=false

echo "== benchmarks, smoke run (-benchtime=1x)"
(cd bench && go test -short -count=1 -run '^$' -bench . -benchtime=1x ./...)
