"""The stateful services and their key numbers (article "Data Architecture")."""

from __future__ import annotations

from aws_cdk.assertions import Match


def test_aurora_serverless_v2_between_half_and_64_acu(synth):
    synth.template.has_resource_properties(
        "AWS::RDS::DBCluster",
        {
            "Engine": "aurora-postgresql",
            "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 64},
            "StorageEncrypted": True,
            "DatabaseName": "tradewind",
        },
    )


def test_aurora_writer_and_two_readers(synth):
    instances = list(synth.of_type("AWS::RDS::DBInstance").values())
    assert len(instances) == 3
    assert {i["Properties"]["DBInstanceClass"] for i in instances} == {"db.serverless"}
    tiers = sorted(i["Properties"].get("PromotionTier", 0) for i in instances)
    assert tiers == [0, 1, 2]  # the writer, a reader that scales with it (failover target), one more


def test_aurora_credentials_are_generated_into_secrets_manager(synth):
    _, secret = synth.one("AWS::SecretsManager::Secret")
    assert "GenerateSecretString" in secret["Properties"]
    _, cluster = synth.one("AWS::RDS::DBCluster")
    assert "{{resolve:secretsmanager:" in str(cluster["Properties"]["MasterUserPassword"])


def test_redis_cluster_mode_three_shards_multi_az(synth):
    synth.template.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        {
            "NumNodeGroups": 3,
            "ReplicasPerNodeGroup": 1,
            "MultiAZEnabled": True,
            "AutomaticFailoverEnabled": True,
            "CacheParameterGroupName": "default.redis7.cluster.on",
            "AtRestEncryptionEnabled": True,
        },
    )


def test_msk_three_brokers_in_three_zones(synth):
    _, cluster = synth.one("AWS::MSK::Cluster")
    props = cluster["Properties"]
    assert props["NumberOfBrokerNodes"] == 3
    subnets = props["BrokerNodeGroupInfo"]["ClientSubnets"]
    assert len({s["Ref"] for s in subnets}) == 3
    data_subnets = {
        k
        for k, v in synth.of_type("AWS::EC2::Subnet").items()
        if {"Key": "aws-cdk:subnet-name", "Value": "private-data"} in v["Properties"]["Tags"]
    }
    assert {s["Ref"] for s in subnets} == data_subnets
    assert props["EncryptionInfo"]["EncryptionInTransit"] == {"ClientBroker": "TLS_PLAINTEXT", "InCluster": True}


def test_msk_does_not_auto_create_topics_and_defaults_to_the_strictest_row(synth):
    _, config = synth.one("AWS::MSK::Configuration")
    props = dict(line.split("=", 1) for line in config["Properties"]["ServerProperties"].splitlines())
    assert props["auto.create.topics.enable"] == "false"
    assert props["default.replication.factor"] == "3"
    assert props["min.insync.replicas"] == "2"


def test_dynamodb_positions_on_demand(synth):
    synth.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "TableName": "tradewind-positions",
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": Match.array_with([{"AttributeName": "pk", "AttributeType": "S"}]),
        },
    )


def test_kinesis_market_data_eight_shards(synth):
    synth.template.has_resource_properties(
        "AWS::Kinesis::Stream",
        {"Name": "market-data", "ShardCount": 8, "StreamModeDetails": {"StreamMode": "PROVISIONED"}},
    )


def test_stateful_resources_are_retained(synth):
    for kind in ("AWS::DynamoDB::Table", "AWS::Kinesis::Stream", "AWS::S3::Bucket", "AWS::MSK::Cluster"):
        for logical_id, res in synth.of_type(kind).items():
            assert res.get("DeletionPolicy") == "Retain", logical_id
    _, cluster = synth.one("AWS::RDS::DBCluster")
    assert cluster["DeletionPolicy"] == "Snapshot"
    assert cluster["Properties"]["DeletionProtection"] is True


def test_redis_without_cluster_mode_for_the_current_client(tmp_path):
    from conftest import synthesize

    s = synthesize(tmp_path, context={"redis_cluster_mode": "false"})
    _, group = s.one("AWS::ElastiCache::ReplicationGroup")
    props = group["Properties"]
    assert "NumNodeGroups" not in props
    assert (props["NumCacheClusters"], props["MultiAZEnabled"], props["CacheParameterGroupName"]) == (
        2,
        True,
        "default.redis7",
    )
    _, task = s.one("AWS::ECS::TaskDefinition", "ServicesWebTask")
    env = {e["Name"]: e["Value"] for e in task["Properties"]["ContainerDefinitions"][0]["Environment"]}
    assert "PrimaryEndPoint.Address" in str(env["TRADEWIND_REDIS_HOST"])
