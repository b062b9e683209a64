"""A flow in a @project."""

from dflow import FlowSpec, current, project, step


@project(name="fraud_model")
class ProjectFlow(FlowSpec):
    @step
    def start(self):
        self.where = (
            current.project_name,
            current.branch_name,
            current.project_flow_name,
            current.is_production,
            current.is_user_branch,
        )
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ProjectFlow()
