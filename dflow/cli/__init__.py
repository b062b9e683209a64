"""The ``dflow`` command line: thin click commands over the library."""
