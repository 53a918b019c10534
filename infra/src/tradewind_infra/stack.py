"""The whole deployment as one stack: network, data, audit archive, services, edge, scaling and
the provisioning task. One stack keeps every reference inside one template (no exports to
untangle on a change); the constructs are the article's "foundation" and service modules."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack
from constructs import Construct

from tradewind_infra.audit import AuditArchive
from tradewind_infra.data import Cache, Kafka, Ledger, Streams
from tradewind_infra.edge import Edge
from tradewind_infra.network import Network
from tradewind_infra.parameters import Parameters
from tradewind_infra.provision import Provisioning
from tradewind_infra.scaling import WebScaling
from tradewind_infra.services import Services
from tradewind_infra.stores import Stores


class TradewindStack(Stack):
    def __init__(self, scope: Construct, id: str, *, params: Parameters) -> None:
        super().__init__(
            scope,
            id,
            env=Environment(account=params.account, region=params.region),
            description="Tradewind: multi-user trading platform (infra/, docs/deploy.md)",
        )
        self.params = params
        self.network = Network(self, "Network", params=params)
        self.ledger = Ledger(self, "Ledger", params=params, network=self.network)
        self.cache = Cache(self, "Cache", params=params, network=self.network)
        self.kafka = Kafka(self, "Kafka", params=params, network=self.network)
        self.streams = Streams(self, "Streams", params=params)
        self.audit = AuditArchive(self, "Audit", params=params)
        stores = Stores(self.ledger, self.cache, self.kafka, self.streams, self.audit)
        self.services = Services(self, "Services", params=params, network=self.network, stores=stores)
        web = self.services.services["web"]
        self.edge = Edge(
            self,
            "Edge",
            params=params,
            network=self.network,
            web=web,
            web_security_group=self.services.security_groups["web"],
        )
        self.scaling = WebScaling(
            self, "WebScaling", params=params, cluster=self.services.cluster, service=web, alb=self.edge.alb
        )
        self.provisioning = Provisioning(
            self, "Provisioning", params=params, network=self.network, services=self.services, stores=stores
        )
        for service in self.services.services.values():
            service.node.add_dependency(self.provisioning.run)

        outputs = {
            "AlbDnsName": self.edge.alb.load_balancer_dns_name,
            "CdnDomainName": self.edge.cdn.distribution_domain_name,
            "PgHost": self.ledger.cluster.cluster_endpoint.hostname,
            "PgReaderHost": self.ledger.cluster.cluster_read_endpoint.hostname,
            "PgSecretArn": self.ledger.secret.secret_arn,
            "RedisHost": self.cache.host,
            "KafkaBootstrap": self.kafka.bootstrap,
            "AuditBucket": self.audit.bucket.bucket_name,
            "PositionsTable": self.streams.positions.table_name,
            "MarketStream": self.streams.market.stream_name,
            "ProvisionTaskDefinition": self.provisioning.task.task_definition_arn,
            "ClusterName": self.services.cluster.cluster_name,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
