"""A Dask executor for Dagster: dagster-dask's, with task keys unique per run.

``dagster_dask.dask_executor`` (0.29.27, for dagster 1.13) names each Dask task ``<job>.<step>``.  Dask
deduplicates tasks by key, so when two runs of the same job share one cluster -- exactly what the
partition runs of a backfill do -- the second run is handed the *first* run's result: it records
the other partition's events and reports success without having done anything (dagster-io/dagster
#21418, closed unfixed; reproduced here with two concurrent ``parse_partitions`` runs).  This
executor is dagster-dask's ``DaskExecutor.execute`` with the run id added to the key, for the two
cluster kinds this project configures: an ``existing`` scheduler (any cluster manager -- ``dask
scheduler``/``dask worker`` by hand, dask-kubernetes, dask-jobqueue, SSH -- started separately) or a
``local`` cluster started per run.  The step itself still runs through dagster-dask's
``query_on_dask_worker`` (rebuilds the job from its ``ReconstructableJob``, opens the instance from
its ref, executes the one step).

Imported only when ``GI_PIPELINE_EXECUTOR=dask`` (needs the ``scale`` extra).
"""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import dask.distributed
from dagster import _check as check
from dagster._core.errors import raise_execution_interrupts
from dagster._core.execution.retries import RetryMode
from dagster._utils import iterate_with_context
from dagster_dask.executor import get_dask_resource_requirements, query_on_dask_worker

CLUSTER_CONFIG = {
    "cluster": dg.Field(
        dg.Selector(
            {
                "existing": dg.Field({"address": dg.StringSource}, description="Address of a running scheduler."),
                "local": dg.Field(
                    dg.Permissive(), is_required=False, description="distributed.LocalCluster arguments."
                ),
            }
        )
    )
}


class RunScopedDaskExecutor(dg.Executor):
    def __init__(self, cluster_type: str, cluster_configuration: dict) -> None:
        self.cluster_type = cluster_type
        self.cluster_configuration = dict(cluster_configuration or {})

    @property
    def retries(self) -> RetryMode:
        return RetryMode.DISABLED

    def _cluster(self) -> object:
        if self.cluster_type == "existing":
            return self.cluster_configuration["address"]
        # Dagster steps must not share a process: one thread per worker (as dagster-dask does).
        return dask.distributed.LocalCluster(**{**self.cluster_configuration, "threads_per_worker": 1})

    def execute(self, plan_context, execution_plan) -> Iterator[dg.DagsterEvent]:
        check.invariant(plan_context.instance.is_persistent, "Dask execution requires a persistent DagsterInstance")
        run = plan_context.dagster_run
        instance_ref = plan_context.instance.get_ref()
        cluster = self._cluster()
        try:
            with dask.distributed.Client(cluster) as client:
                futures: dict[str, dask.distributed.Future] = {}
                for level in execution_plan.get_steps_to_execute_by_level():
                    for step in level:
                        # Dask schedules a step after the steps it depends on.
                        dependencies = [
                            futures[key] for step_input in step.step_inputs for key in step_input.dependency_keys
                        ]
                        futures[step.key] = client.submit(
                            query_on_dask_worker,
                            dependencies,
                            plan_context.reconstructable_job,
                            run,
                            plan_context.run_config,
                            [step.key],
                            instance_ref,
                            execution_plan.known_state,
                            key=f"{plan_context.job_name}.{step.key}.{run.run_id}",  # the fix
                            resources=get_dask_resource_requirements(step.tags),
                        )
                completed = dask.distributed.as_completed(list(futures.values()), with_results=True)
                for _future, events in iterate_with_context(raise_execution_interrupts, completed):
                    for event in events:
                        yield check.inst(event, dg.DagsterEvent)
        finally:
            if not isinstance(cluster, str):
                cluster.close()


@dg.executor(name="dask", config_schema=CLUSTER_CONFIG, requirements=dg.multiple_process_executor_requirements())
def dask_executor(init_context: dg.InitExecutorContext) -> RunScopedDaskExecutor:
    """Each step of a run becomes a Dask task: ``{"cluster": {"existing": {"address": "tcp://host:8786"}}}``
    or ``{"cluster": {"local": {...LocalCluster arguments}}}``."""
    ((cluster_type, configuration),) = init_context.executor_config["cluster"].items()
    return RunScopedDaskExecutor(cluster_type, configuration)


def dask_setup(worker: object) -> None:
    """Worker preload hook: ``dask worker tcp://scheduler:8786 --preload assets.dask_executor`` imports
    the code location and GX (~5 s) when the worker starts rather than in its first step."""
    import great_expectations  # noqa: F401

    import assets.definitions  # noqa: F401
