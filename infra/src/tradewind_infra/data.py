"""The stateful services of the article's "Data Architecture", in the private-data subnets:
Aurora PostgreSQL Serverless v2 (the orders ledger), ElastiCache Redis in cluster mode, MSK,
the DynamoDB positions view and the Kinesis market-data stream.

Each exposes what the containers need as ``TRADEWIND_*`` settings (see ``environment``) and a
security group that ``allow_from`` opens to one app's security group, nothing wider.
"""

from __future__ import annotations

from aws_cdk import Duration, Fn, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_msk as msk
from aws_cdk import aws_rds as rds
from aws_cdk import custom_resources as cr
from constructs import Construct

from tradewind_infra.network import Network
from tradewind_infra.parameters import Parameters
from tradewind_infra.topics import TOPICS

POSTGRES_PORT = 5432
REDIS_PORT = 6379


def removal(params: Parameters) -> RemovalPolicy:
    return RemovalPolicy.RETAIN if params.retain_data else RemovalPolicy.DESTROY


class Ledger(Construct):
    """Aurora PostgreSQL Serverless v2: one writer and ``aurora_readers`` readers, credentials in
    Secrets Manager (generated, never in the template)."""

    def __init__(self, scope: Construct, id: str, *, params: Parameters, network: Network) -> None:
        super().__init__(scope, id)
        self.security_group = ec2.SecurityGroup(
            self, "Sg", vpc=network.vpc, description="Aurora: PostgreSQL from the apps only", allow_all_outbound=False
        )
        version = getattr(rds.AuroraPostgresEngineVersion, params.aurora_engine_version)
        self.cluster = rds.DatabaseCluster(
            self,
            "Cluster",
            engine=rds.DatabaseClusterEngine.aurora_postgres(version=version),
            credentials=rds.Credentials.from_generated_secret(
                params.database_user, secret_name=f"{params.name_prefix}/aurora"
            ),
            default_database_name=params.database_name,
            writer=rds.ClusterInstance.serverless_v2("Writer"),
            readers=[
                rds.ClusterInstance.serverless_v2(f"Reader{i + 1}", scale_with_writer=i == 0)
                for i in range(params.aurora_readers)
            ],
            serverless_v2_min_capacity=params.aurora_min_acu,
            serverless_v2_max_capacity=params.aurora_max_acu,
            vpc=network.vpc,
            vpc_subnets=network.data,
            security_groups=[self.security_group],
            port=POSTGRES_PORT,
            storage_encrypted=True,
            backup=rds.BackupProps(retention=Duration.days(params.aurora_backup_days)),
            deletion_protection=params.retain_data,
            removal_policy=RemovalPolicy.SNAPSHOT if params.retain_data else RemovalPolicy.DESTROY,
        )
        assert self.cluster.secret is not None
        self.secret = self.cluster.secret

    def allow_from(self, peer: ec2.ISecurityGroup) -> None:
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(POSTGRES_PORT), "PostgreSQL from an app")


class Cache(Construct):
    """ElastiCache Redis, cluster mode enabled: ``redis_shards`` node groups, each with replicas in
    other zones and automatic failover (Multi-AZ). ``redis_cluster_mode=false``: one node group,
    same Multi-AZ failover, reached at its primary endpoint."""

    def __init__(self, scope: Construct, id: str, *, params: Parameters, network: Network) -> None:
        super().__init__(scope, id)
        self.security_group = ec2.SecurityGroup(
            self, "Sg", vpc=network.vpc, description="Redis from the apps only", allow_all_outbound=False
        )
        subnets = elasticache.CfnSubnetGroup(
            self,
            "Subnets",
            description="Tradewind Redis: private-data subnets",
            subnet_ids=network.subnet_ids(network.data),
        )
        self.cluster_mode = params.redis_cluster_mode
        shape: dict[str, object] = (
            {
                "cache_parameter_group_name": "default.redis7.cluster.on",
                "num_node_groups": params.redis_shards,
                "replicas_per_node_group": params.redis_replicas_per_shard,
            }
            if self.cluster_mode
            else {
                "cache_parameter_group_name": "default.redis7",
                "num_cache_clusters": 1 + params.redis_replicas_per_shard,
            }
        )
        self.group = elasticache.CfnReplicationGroup(
            self,
            "Redis",
            replication_group_description="Tradewind: last prices, sessions, rate limits, pub/sub",
            engine="redis",
            engine_version=params.redis_engine_version,
            cache_node_type=params.redis_node_type,
            **shape,  # type: ignore[arg-type]
            automatic_failover_enabled=True,
            multi_az_enabled=True,
            cache_subnet_group_name=subnets.ref,
            security_group_ids=[self.security_group.security_group_id],
            port=REDIS_PORT,
            at_rest_encryption_enabled=True,
            transit_encryption_enabled=params.redis_transit_encryption,
            snapshot_retention_limit=1,
        )
        self.group.apply_removal_policy(removal(params))

    @property
    def host(self) -> str:
        if self.cluster_mode:
            return self.group.attr_configuration_end_point_address
        return self.group.attr_primary_end_point_address

    @property
    def port(self) -> str:
        if self.cluster_mode:
            return self.group.attr_configuration_end_point_port
        return self.group.attr_primary_end_point_port

    def allow_from(self, peer: ec2.ISecurityGroup) -> None:
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(REDIS_PORT), "Redis from an app")


class Kafka(Construct):
    """MSK: ``kafka_brokers`` brokers spread over the zones' data subnets. Topics are not
    auto-created: the provisioning task creates the table of ``topics.py``; the cluster
    defaults (replication, min.insync) are the table's strictest row, for anything else."""

    def __init__(self, scope: Construct, id: str, *, params: Parameters, network: Network) -> None:
        super().__init__(scope, id)
        self.port = params.kafka_plaintext_port
        self._brokers = params.kafka_brokers
        self.security_group = ec2.SecurityGroup(
            self, "Sg", vpc=network.vpc, description="Kafka from the apps only", allow_all_outbound=False
        )
        strictest = max(TOPICS, key=lambda t: (t.replication, t.min_insync))
        configuration = msk.CfnConfiguration(
            self,
            "Configuration",
            name=f"{params.name_prefix}-kafka",
            kafka_versions_list=[params.kafka_version],
            server_properties="\n".join(
                [
                    "auto.create.topics.enable=false",
                    f"default.replication.factor={strictest.replication}",
                    f"min.insync.replicas={strictest.min_insync}",
                    "unclean.leader.election.enable=false",
                ]
            ),
        )
        self.cluster = msk.CfnCluster(
            self,
            "Cluster",
            cluster_name=f"{params.name_prefix}-kafka",
            kafka_version=params.kafka_version,
            number_of_broker_nodes=params.kafka_brokers,
            broker_node_group_info=msk.CfnCluster.BrokerNodeGroupInfoProperty(
                instance_type=params.kafka_broker_type,
                client_subnets=network.subnet_ids(network.data),
                security_groups=[self.security_group.security_group_id],
                storage_info=msk.CfnCluster.StorageInfoProperty(
                    ebs_storage_info=msk.CfnCluster.EBSStorageInfoProperty(volume_size=params.kafka_volume_gib)
                ),
            ),
            configuration_info=msk.CfnCluster.ConfigurationInfoProperty(
                arn=configuration.attr_arn, revision=configuration.attr_latest_revision_revision
            ),
            # The code's Kafka settings are host and port only (no TLS or SASL setting), so
            # clients use the plaintext listener inside the VPC; brokers replicate over TLS.
            encryption_info=msk.CfnCluster.EncryptionInfoProperty(
                encryption_in_transit=msk.CfnCluster.EncryptionInTransitProperty(
                    client_broker="TLS_PLAINTEXT", in_cluster=True
                )
            ),
            client_authentication=msk.CfnCluster.ClientAuthenticationProperty(
                unauthenticated=msk.CfnCluster.UnauthenticatedProperty(enabled=True)
            ),
            enhanced_monitoring="PER_BROKER",
        )
        self.cluster.apply_removal_policy(removal(params))

        # CloudFormation returns no broker list for AWS::MSK::Cluster: ask the Kafka API.
        brokers = cr.AwsCustomResource(
            self,
            "BootstrapBrokers",
            on_update=cr.AwsSdkCall(
                service="Kafka",
                action="getBootstrapBrokers",
                parameters={"ClusterArn": self.cluster.attr_arn},
                physical_resource_id=cr.PhysicalResourceId.of(self.cluster.attr_arn),
                output_paths=["BootstrapBrokerString"],
            ),
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[self.cluster.attr_arn]),
            install_latest_aws_sdk=False,
        )
        self.bootstrap = brokers.get_response_field("BootstrapBrokerString")

    @property
    def host(self) -> str:
        """What ``TRADEWIND_KAFKA_HOST`` must hold so that the code's ``kafka_bootstrap``
        (``f"{kafka_host}:{kafka_port}"``) is the full broker list ``b-1:9092,b-2:9092,b-3:9092``:
        every broker but the last keeps its port, the last one's comes from ``kafka_port``.
        There is no list setting; see docs/deploy.md."""
        entries = Fn.split(",", self.bootstrap, self._brokers)
        hosts = [Fn.select(0, Fn.split(":", Fn.select(i, entries), 2)) for i in range(self._brokers)]
        return Fn.join(f":{self.port},", hosts)

    def allow_from(self, peer: ec2.ISecurityGroup) -> None:
        self.security_group.add_ingress_rule(peer, ec2.Port.tcp(self.port), "Kafka (plaintext) from an app")


class Streams(Construct):
    """The DynamoDB positions view (on demand) and the Kinesis market-data stream."""

    def __init__(self, scope: Construct, id: str, *, params: Parameters) -> None:
        super().__init__(scope, id)
        self.positions = dynamodb.Table(
            self,
            "Positions",
            table_name=params.positions_table,
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=params.positions_ttl_attribute or None,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=removal(params),
        )
        self.market = kinesis.Stream(
            self,
            "MarketData",
            stream_name=params.market_stream,
            shard_count=params.market_shards,
            stream_mode=kinesis.StreamMode.PROVISIONED,
            retention_period=Duration.hours(params.market_retention_hours),
            encryption=kinesis.StreamEncryption.MANAGED,
            removal_policy=removal(params),
        )
