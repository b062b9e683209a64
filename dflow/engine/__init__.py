"""The engine: the client-side driver that submits tasks to Dask, and the task runner
that executes one step on a worker (load inputs, run, persist, commit)."""
