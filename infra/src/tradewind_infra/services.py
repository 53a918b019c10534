"""ECS Fargate: one image, three services (web, worker, gateway), each with its own task role
holding only what its process calls, and the ``TRADEWIND_*`` environment the code reads
(``tradewind.adapters.aws.settings.Settings``; names listed in docs/deploy.md).

What each process calls on AWS (from the adapters it builds), and so what its role may do:

| process | DynamoDB positions | S3 audit bucket | Kinesis market-data |
|---|---|---|---|
| web | read (GET /api/v1/positions) | nothing | nothing |
| worker | read and write (projection) | read and write (archive, replay) | read (consumer) |
| gateway | nothing | nothing | write (feeds, replay) |

PostgreSQL, Redis and Kafka are reached by security group, not IAM.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from tradewind_infra.data import Cache, Kafka, Ledger
from tradewind_infra.network import Network
from tradewind_infra.parameters import Parameters
from tradewind_infra.stores import Stores

CONTAINER = "app"


@dataclass(frozen=True)
class Process:
    """One process of the image: its ``tradewind`` subcommand and how ECS checks it."""

    name: str
    command: tuple[str, ...]
    health_port: int


def processes(params: Parameters) -> tuple[Process, ...]:
    return (
        Process(
            "web",
            ("web", "--host", "0.0.0.0", "--port", str(params.web_port), "--workers", str(params.web_processes)),
            params.web_port,
        ),
        Process("worker", ("worker",), params.worker_health_port),
        Process("gateway", ("gateway",), params.gateway_health_port),
    )


def environment(params: Parameters, stack: Stack, ledger: Ledger, cache: Cache, kafka: Kafka) -> dict[str, str]:
    """The settings every process reads, by the code's own names. Credentials for AWS APIs come
    from the task role: the access-key settings are set empty so the SDK's default chain is used
    (an empty key counts as unset for aioboto3's Session)."""
    return {
        "TRADEWIND_PROFILE": "aws",
        "TRADEWIND_PG_HOST": ledger.cluster.cluster_endpoint.hostname,
        "TRADEWIND_PG_PORT": str(ledger.cluster.cluster_endpoint.port),
        "TRADEWIND_PG_DATABASE": params.database_name,
        "TRADEWIND_REDIS_HOST": cache.host,
        "TRADEWIND_REDIS_PORT": cache.port,
        "TRADEWIND_KAFKA_HOST": kafka.host,
        "TRADEWIND_KAFKA_PORT": str(kafka.port),
        "TRADEWIND_AWS_REGION": stack.region,
        "TRADEWIND_AWS_ACCESS_KEY_ID": "",
        "TRADEWIND_AWS_SECRET_ACCESS_KEY": "",
        "TRADEWIND_S3_BUCKET": params.audit_bucket,
        "TRADEWIND_POSITIONS_TABLE": params.positions_table,
        "TRADEWIND_KINESIS_STREAM": params.market_stream,
        "TRADEWIND_WEB_PORT": str(params.web_port),
        "TRADEWIND_WORKER_HEALTH_PORT": str(params.worker_health_port),
        "TRADEWIND_GATEWAY_HEALTH_PORT": str(params.gateway_health_port),
    }


def secrets(ledger: Ledger) -> dict[str, ecs.Secret]:
    """Read by the task's execution role at start; never in the template or the task definition."""
    return {
        "TRADEWIND_PG_USER": ecs.Secret.from_secrets_manager(ledger.secret, "username"),
        "TRADEWIND_PG_PASSWORD": ecs.Secret.from_secrets_manager(ledger.secret, "password"),
    }


class Services(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        params: Parameters,
        network: Network,
        stores: Stores,
    ) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        ledger, streams, audit = stores.ledger, stores.streams, stores.audit
        self.cluster = ecs.Cluster(
            self, "Cluster", vpc=network.vpc, container_insights_v2=ecs.ContainerInsights.ENABLED
        )
        repository = ecr.Repository.from_repository_name(self, "Repository", params.image_repository)
        self.image = ecs.ContainerImage.from_ecr_repository(repository, params.image_tag)
        self.environment = environment(params, stack, stores.ledger, stores.cache, stores.kafka)
        self.secrets = secrets(ledger)

        self.security_groups: dict[str, ec2.SecurityGroup] = {}
        self.task_definitions: dict[str, ecs.FargateTaskDefinition] = {}
        self.services: dict[str, ecs.FargateService] = {}
        for process in processes(params):
            sg = ec2.SecurityGroup(
                self, f"{process.name.title()}Sg", vpc=network.vpc, description=f"Tradewind {process.name} tasks"
            )
            for store in stores.reached_by_security_group:
                store.allow_from(sg)
            task = self._task_definition(params, process)
            desired = {"web": params.web_min_tasks, "worker": params.worker_tasks, "gateway": params.gateway_tasks}
            self.services[process.name] = ecs.FargateService(
                self,
                f"{process.name.title()}Service",
                cluster=self.cluster,
                task_definition=task,
                desired_count=desired[process.name],
                security_groups=[sg],
                vpc_subnets=network.app,
                min_healthy_percent=100,
                max_healthy_percent=200,
                circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
                health_check_grace_period=Duration.seconds(60) if process.name == "web" else None,
            )
            self.security_groups[process.name] = sg
            self.task_definitions[process.name] = task

        web, worker, gateway = (self.task_definitions[n].task_role for n in ("web", "worker", "gateway"))
        streams.positions.grant_read_data(web)
        streams.positions.grant_read_write_data(worker)
        # The archive writes Parquet under events/ and its cut checkpoints under checkpoints/, reads
        # them back (replay), and deletes only its own checkpoints: never an event, never a lock.
        objects, checkpoints = audit.bucket.arn_for_objects("*"), audit.bucket.arn_for_objects("checkpoints/*")
        for actions, resources in (
            (["s3:PutObject"], [audit.bucket.arn_for_objects(params.audit_prefix + "*"), checkpoints]),
            (["s3:DeleteObject"], [checkpoints]),
            (["s3:GetObject"], [objects]),
            (["s3:ListBucket"], [audit.bucket.bucket_arn]),
        ):
            worker.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
        streams.market.grant_read(worker)
        streams.market.grant_write(gateway)

    def _task_definition(self, params: Parameters, process: Process) -> ecs.FargateTaskDefinition:
        task = ecs.FargateTaskDefinition(
            self,
            f"{process.name.title()}Task",
            family=f"{params.name_prefix}-{process.name}",
            cpu=params.task_cpu,
            memory_limit_mib=params.task_memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        probe = "/healthz"
        task.add_container(
            CONTAINER,
            image=self.image,
            command=list(process.command),
            environment=self.environment,
            secrets=self.secrets,
            port_mappings=[ecs.PortMapping(container_port=process.health_port)],
            logging=ecs.LogDrivers.aws_logs(stream_prefix=process.name, log_group=self._log_group(params, process)),
            health_check=ecs.HealthCheck(
                command=[
                    "CMD",
                    "python",
                    "-c",
                    "import sys, urllib.request; "
                    f"sys.exit(urllib.request.urlopen('http://127.0.0.1:{process.health_port}{probe}', timeout=3).status != 200)",
                ],
                interval=Duration.seconds(15),
                timeout=Duration.seconds(5),
                retries=3,
                start_period=Duration.seconds(60),
            ),
            stop_timeout=Duration.seconds(60),
        )
        return task

    def _log_group(self, params: Parameters, process: Process) -> logs.LogGroup:
        group = logs.LogGroup(
            self, f"{process.name.title()}Logs", log_group_name=f"/{params.name_prefix}/{process.name}"
        )
        # RetentionDays is an enum of names; the number goes in as the property itself
        group.node.default_child.add_property_override("RetentionInDays", params.log_retention_days)  # type: ignore[union-attr]
        return group
