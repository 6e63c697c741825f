"""The benchmark behind `make bench` (scripts/bench.py is its entry and its manual).

- settings.py: the bench database, Redis db, cache modes, targets and noise thresholds
- fixtures.py: creating and seeding the bench database; checking that each mode is real
- server.py: gunicorn for one mode; a returning browser's session cookie
- cpu.py: CPU accounting from /proc, to tell a run that other processes disturbed
- load.py: wrk runs, restarted or re-run when flawed, and their summary per URL
- scenarios.py: which URL runs in which mode, and the run over them
- queries.py: SQL statements per storefront page, counted in-process
- report.py: the printed tables and the summary against the targets
- cli.py: the options and the order of the steps

scripts/loadmix.py (`make bench-mix`), the shopper mix, reuses them and adds:
- mix.py: the mix of actions and the report's arithmetic (pure, tested)
- shoppers.py: the locust file of virtual shoppers, buyers and the hello-world route
- shopdata.py: accounts, stock before a run, and the stock audit after it
- targets.py: the servers loaded (gunicorn as deployed; nginx + instances; a given one)
"""
