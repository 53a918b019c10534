"""The provisioning task: creates the Kafka topics of ``topics.py`` on MSK (with their
replication, min.insync and retention), then runs ``tradewind infra init`` (SQL migrations;
the table, bucket and stream already exist, so it only reports them present).

It is a one-off Fargate task of the same image, started by a custom resource on every deploy
that changes the topic table or the image (the cluster does not auto-create topics). RunTask
returns once the task is started, not finished: services created after it may come up before
the topics and migrations exist, fail their health checks, and be replaced by ECS until they
do. Run it again by hand with the command in docs/deploy.md.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from tradewind_infra.network import Network
from tradewind_infra.parameters import Parameters
from tradewind_infra.services import Services
from tradewind_infra.stores import Stores
from tradewind_infra.topics import topics_digest, topics_json

#: where the Dockerfile puts the script (``infra/provision/create_topics.py`` in the repository)
CREATE_TOPICS = "/app/provision/create_topics.py"
COMMAND = f"python {CREATE_TOPICS} && tradewind infra init"


class Provisioning(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        params: Parameters,
        network: Network,
        services: Services,
        stores: Stores,
    ) -> None:
        super().__init__(scope, id)
        self.security_group = ec2.SecurityGroup(self, "Sg", vpc=network.vpc, description="Tradewind provisioning task")
        for store in stores.reached_by_security_group:
            store.allow_from(self.security_group)

        self.task = ecs.FargateTaskDefinition(
            self, "Task", family=f"{params.name_prefix}-provision", cpu=512, memory_limit_mib=1024
        )
        self.task.add_container(
            "provision",
            image=services.image,
            entry_point=["sh", "-c"],
            command=[COMMAND],
            environment={**services.environment, "TRADEWIND_KAFKA_TOPICS": topics_json()},
            secrets=services.secrets,
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix="provision",
                log_group=logs.LogGroup(self, "Logs", log_group_name=f"/{params.name_prefix}/provision"),
            ),
        )
        # `tradewind infra init` also asks for the table, bucket and stream (they exist: it only
        # needs to be allowed to ask); nothing here may write data.
        role = self.task.task_role
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["dynamodb:CreateTable"], resources=[stores.streams.positions.table_arn])
        )
        role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:ListAllMyBuckets"], resources=["*"]))
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["kinesis:CreateStream"], resources=[stores.streams.market.stream_arn])
        )

        run = cr.AwsSdkCall(
            service="ECS",
            action="runTask",
            parameters={
                "cluster": services.cluster.cluster_name,
                "taskDefinition": self.task.task_definition_arn,
                "launchType": "FARGATE",
                "count": 1,
                "networkConfiguration": {
                    "awsvpcConfiguration": {
                        "subnets": network.subnet_ids(network.app),
                        "securityGroups": [self.security_group.security_group_id],
                        "assignPublicIp": "DISABLED",
                    }
                },
            },
            # a new id (so a new run) whenever the topic table or the image changes
            physical_resource_id=cr.PhysicalResourceId.of(f"provision-{topics_digest()}-{params.image_tag}"),
            output_paths=["tasks.0.taskArn"],
        )
        self.run = cr.AwsCustomResource(
            self,
            "Run",
            on_create=run,
            on_update=run,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(actions=["ecs:RunTask"], resources=[self.task.task_definition_arn]),
                    iam.PolicyStatement(
                        actions=["iam:PassRole"],
                        resources=[self.task.task_role.role_arn, self.task.obtain_execution_role().role_arn],
                    ),
                ]
            ),
            install_latest_aws_sdk=False,
        )
        self.run.node.add_dependency(stores.ledger.cluster, stores.cache.group, stores.kafka.cluster)
