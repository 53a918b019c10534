"""The VPC of the article's topology: 10.0.0.0/16, three zones, three tiers, the endpoints."""

from __future__ import annotations

from aws_cdk.assertions import Match


def test_vpc_cidr(synth):
    synth.template.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16"})


def test_three_tiers_in_three_zones(synth):
    subnets = synth.of_type("AWS::EC2::Subnet").values()
    tiers: dict[str, set[str]] = {}
    for subnet in subnets:
        tags = {t["Key"]: t["Value"] for t in subnet["Properties"]["Tags"]}
        tiers.setdefault(tags["aws-cdk:subnet-name"], set()).add(subnet["Properties"]["AvailabilityZone"])
    assert tiers == {
        "public": {"us-east-1a", "us-east-1b", "us-east-1c"},
        "private-app": {"us-east-1a", "us-east-1b", "us-east-1c"},
        "private-data": {"us-east-1a", "us-east-1b", "us-east-1c"},
    }
    # only the public tier is public; the data tier has no route out at all
    public = [s for s in subnets if s["Properties"]["MapPublicIpOnLaunch"]]
    assert len(public) == 3
    routes = synth.of_type("AWS::EC2::Route").values()
    assert sum("NatGatewayId" in r["Properties"] for r in routes) == 3  # private-app, one NAT per zone
    assert sum("GatewayId" in r["Properties"] for r in routes) == 3  # public, via the internet gateway


def test_endpoints_for_dynamodb_s3_and_kinesis(synth):
    endpoints = list(synth.of_type("AWS::EC2::VPCEndpoint").values())
    names = {str(e["Properties"]["ServiceName"]): e["Properties"].get("VpcEndpointType", "Gateway") for e in endpoints}
    kinds = {
        next(svc for svc in ("dynamodb", "s3", "kinesis-streams") if f".{svc}" in name or f"{svc}" in name): kind
        for name, kind in names.items()
    }
    assert kinds == {"dynamodb": "Gateway", "s3": "Gateway", "kinesis-streams": "Interface"}
    synth.template.has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {"VpcEndpointType": "Interface", "PrivateDnsEnabled": True, "SubnetIds": Match.any_value()},
    )
