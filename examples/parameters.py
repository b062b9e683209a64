"""Parameters of every type, and a file included as a parameter.

    python examples/parameters.py run --greeting hi --repeat 2 --shout yes \
        --config '{"sep": " | "}' --document examples/data/sample.txt
    python examples/parameters.py run --help     # lists every parameter
"""

from dflow import FlowSpec, IncludeFile, JSONType, Parameter, step


class ParametersFlow(FlowSpec):
    """Format a document with options given on the command line."""

    # The type is inferred from the default: str, int, float or bool.
    greeting = Parameter("greeting", default="hello", help="word to start with")
    repeat = Parameter("repeat", default=1, help="how many times to repeat it")
    scale = Parameter("scale", default=1.0, help="a float, for the example's sake")
    shout = Parameter("shout", default=False, help="upper-case the output (true/false)")
    # JSON parameters take any JSON value; the default may be written as a JSON string.
    config = Parameter("config", type=JSONType, default='{"sep": " "}', help="JSON options")
    # IncludeFile: the value given is a path; the step sees the file's contents.
    document = IncludeFile("document", default="data/sample.txt", help="text file to format")

    @step
    def start(self):
        words = self.document.split()
        text = self.config["sep"].join([self.greeting] * self.repeat + words)
        self.text = text.upper() if self.shout else text
        self.next(self.end)

    @step
    def end(self):
        print(self.text, f"(scale {self.scale})")


if __name__ == "__main__":
    ParametersFlow()
