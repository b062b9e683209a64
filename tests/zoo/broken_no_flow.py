"""A file with no FlowSpec subclass."""


class NotAFlow:
    pass
