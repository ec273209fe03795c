#!/usr/bin/env bash
# The test command of README.md: vet, the library under the race detector,
# everything else, a short stress run, and a smoke run of every benchmark.
set -euo pipefail
cd "$(dirname "$0")"

lib=(. ./asm/... ./internal/... ./g/... ./steal/... ./p/... ./preempt/... ./hook/... ./m/... ./stress/...)

echo "== go vet"
go vet ./...
(cd bench && go vet ./...)

echo "== go test -race (library packages)"
go test -race -short -count=1 -cpu 1,2,4 -timeout 15m "${lib[@]}"

echo "== go test (all packages, full sizes)"
go test -count=1 -timeout 15m ./...

echo "== stress run (200,000 Gs)"
go run ./cmd/usched stress -gs 200000 -seed 1 -progress=false

echo "== benchmarks, smoke run (-benchtime=1x)"
(cd bench && go test -short -count=1 -run '^$' -bench . -benchtime=1x ./...)
