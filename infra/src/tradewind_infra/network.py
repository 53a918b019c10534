"""The VPC of the article's "Deployment topology": public, private-app and private-data subnets
in each zone, gateway endpoints for DynamoDB and S3 and an interface endpoint for Kinesis, so the
hot AWS calls never cross a NAT gateway."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from tradewind_infra.parameters import Parameters

PUBLIC = "public"
PRIVATE_APP = "private-app"
PRIVATE_DATA = "private-data"


class Network(Construct):
    def __init__(self, scope: Construct, id: str, *, params: Parameters) -> None:
        super().__init__(scope, id)
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(params.vpc_cidr),
            availability_zones=params.zones,
            nat_gateways=params.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name=PUBLIC, subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=params.public_subnet_mask
                ),
                ec2.SubnetConfiguration(
                    name=PRIVATE_APP, subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=params.app_subnet_mask
                ),
                ec2.SubnetConfiguration(
                    name=PRIVATE_DATA, subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=params.data_subnet_mask
                ),
            ],
        )
        self.public = ec2.SubnetSelection(subnet_group_name=PUBLIC)
        self.app = ec2.SubnetSelection(subnet_group_name=PRIVATE_APP)
        self.data = ec2.SubnetSelection(subnet_group_name=PRIVATE_DATA)

        inner = [self.app, self.data]
        self.vpc.add_gateway_endpoint("DynamoDb", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets=inner)
        self.vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=inner)
        self.vpc.add_interface_endpoint(
            "Kinesis",
            service=ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
            subnets=self.app,
            private_dns_enabled=True,
        )

    def subnet_ids(self, selection: ec2.SubnetSelection) -> list[str]:
        return self.vpc.select_subnets(subnet_group_name=selection.subnet_group_name).subnet_ids
