# crypto-trading-engine. Every target works on a fresh Debian machine: it installs npm
# packages and starts MariaDB/Redis when they are missing (scripts/ensure-datastores.sh).
SHELL := /bin/bash
.DEFAULT_GOAL := help

export MYSQL_URL ?= mysql://cte:cte@127.0.0.1:3306/crypto_trading
export REDIS_URL ?= redis://127.0.0.1:6379
export PATH := $(CURDIR)/.cache/bin:$(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help deps datastores python-xgboost build typecheck lint test demo sandbox fleet bench migrate train clean generate backtest

MODEL_DIR ?= services/signal-generator/models
TRAIN_DIR := .cache/train
PYTHON3 := /usr/bin/python3

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

deps: ## install npm packages exactly as locked (only when package-lock.json changed)
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

datastores: ## start (installing if needed) MariaDB and Redis on 127.0.0.1, create the app user
	@bash scripts/ensure-datastores.sh

build: deps ## generate proto types and compile every workspace (tsc -b, strict)
	npm run build

migrate: build datastores ## apply pending SQL migrations from shared/migrations to MYSQL_URL
	node shared/dist/bin/migrate.js

python-xgboost: ## install Debian's python3-xgboost when missing (the XGBoost reference test and make train use it)
	@bash scripts/ensure-python-xgboost.sh

typecheck: build ## type-check every file, tests included, with the build's strict options (tsconfig.check.json)
	npm run typecheck

lint: build ## ESLint: typescript-eslint's type-checked rules and no floating promises (tools/lint/eslint.config.mjs)
	npm run lint

test: build datastores python-xgboost typecheck lint ## type-check, lint, then run every test against real MariaDB and Redis
	@bash scripts/ensure-debian-tool.sh prometheus promtool >/dev/null
	@bash scripts/ensure-debian-tool.sh prometheus-alertmanager amtool >/dev/null
	@bash scripts/ensure-chromium.sh >/dev/null
	npx jest --ci --testPathIgnorePatterns /node_modules/ /dist/ '<rootDir>/tests/'
	@# Fleet-wide suites start all seven services each; one at a time, so they never compete for the CPU.
	npx jest --ci --runInBand tests/

demo: migrate ## the whole fleet in paper mode on replayed real data: live summary, then a final report (trades, win rate, PnL, drawdown, latency)
	bash scripts/demo.sh

sandbox: migrate ## the demo with live market data over the wire: the venue emulator serves the same bars as Coinbase, price-stream reads them with ccxt; same final report
	bash scripts/demo.sh --sandbox

fleet: migrate ## run the whole fleet without end, for development (Ctrl-C stops it)
	bash scripts/demo.sh --fleet

backtest: build ## the fleet's engines in one process over the demo's bars and settings (same env as make demo); BACKTEST_ARGS="--start ... --end ... --json out.json" for more
	REPLAY_FILES=$${REPLAY_FILES:-services/price-stream/data/replay/coinbase_btcusd_1h.csv} REPLAY_START=$${DEMO_START:-2019-08-20T00:00:00Z} \
	TIMEFRAMES=$${TIMEFRAMES:-1h,4h,1d} SIGNAL_TIMEFRAMES=$${SIGNAL_TIMEFRAMES:-1h} PRICE_TIMEFRAME=$${PRICE_TIMEFRAME:-1h} ALLOW_SHORT=$${ALLOW_SHORT:-true} \
	node tools/backtest/dist/cli.js $(BACKTEST_ARGS)

bench: build datastores ## run the benchmarks; prints tables and writes bench-results.json
	@rm -f bench-results.json
	node services/price-stream/dist/bench/run.js
	node services/signal-generator/dist/bench/run.js
	node services/signals-aggregator/dist/bench/run.js
	node services/risk/dist/bench/run.js
	node services/execution/dist/bench/run.js
	node tools/bench/dist/bench-pipeline.js

train: build ## train the default XGBoost model (BTC/USD 1h) into MODEL_DIR with Debian's python3-xgboost
	@CTE_PYTHON3=$(PYTHON3) bash scripts/ensure-python-xgboost.sh
	node services/signal-generator/dist/cli/dump-features.js --input services/price-stream/data/replay/coinbase_btcusd_1h.csv \
		--timeframe 1h --horizon 4 --threshold 0 --out $(TRAIN_DIR)/BTC-USD_1h.csv
	$(PYTHON3) services/signal-generator/scripts/train.py --data $(TRAIN_DIR)/BTC-USD_1h.csv --model-dir $(MODEL_DIR)

clean: ## remove build output
	npm run clean

generate: build ## regenerate the Dockerfile, compose, k8s (manifests, kustomizations, prometheus.yml) and the Helm chart from shared/src/services.ts
	node tools/deploy/dist/gen-deploy.js
