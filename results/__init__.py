"""Reading studies back: storage helpers, pandas tables, terminal reports, the static HTML dashboard
and the live optuna-dashboard.

Everything here only *reads* a storage: a report never creates a database, a table or a study.
"""
