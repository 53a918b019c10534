"""The article's scaling policy: 8-40 web tasks; out on CPU > 60 % OR connections per task >
3,000; in only when both are below for 5 consecutive minutes; the composite alarm states the
scale-out rule (composite alarms cannot scale, so metric alarms drive the policies)."""

from __future__ import annotations

from conftest import synthesize


def alarms(synth):
    return {k: v["Properties"] for k, v in synth.of_type("AWS::CloudWatch::Alarm").items()}


def alarm(synth, prefix):
    (found,) = [v for k, v in alarms(synth).items() if k.startswith(prefix)]
    return found


def policy_id(synth, prefix):
    (found,) = [k for k in synth.of_type("AWS::ApplicationAutoScaling::ScalingPolicy") if k.startswith(prefix)]
    return found


def test_between_8_and_40_tasks(synth):
    _, target = synth.one("AWS::ApplicationAutoScaling::ScalableTarget")
    props = target["Properties"]
    assert (props["MinCapacity"], props["MaxCapacity"]) == (8, 40)
    assert props["ScalableDimension"] == "ecs:service:DesiredCount"


def test_scale_out_on_cpu_above_60(synth):
    cpu = alarm(synth, "WebScalingCpuHigh")
    assert (cpu["MetricName"], cpu["Namespace"], cpu["Statistic"]) == ("CPUUtilization", "AWS/ECS", "Average")
    assert (cpu["Threshold"], cpu["ComparisonOperator"]) == (60, "GreaterThanThreshold")
    assert cpu["AlarmActions"] == [{"Ref": policy_id(synth, "WebScalingScaleOut")}]


def test_or_scale_out_on_connections_per_task_above_3000(synth):
    conns = alarm(synth, "WebScalingConnectionsHigh")
    assert (conns["Threshold"], conns["ComparisonOperator"]) == (3000, "GreaterThanThreshold")
    metrics = {m["Id"]: m for m in conns["Metrics"]}
    (expression,) = [m["Expression"] for m in metrics.values() if "Expression" in m]
    assert expression == "conns / tasks"
    assert metrics["conns"]["MetricStat"]["Metric"]["MetricName"] == "ActiveConnectionCount"
    assert metrics["tasks"]["MetricStat"]["Metric"]["MetricName"] == "RunningTaskCount"
    assert conns["AlarmActions"] == [{"Ref": policy_id(synth, "WebScalingScaleOut")}]


def test_scale_in_only_when_both_below_for_5_consecutive_minutes(synth):
    low = alarm(synth, "WebScalingBothLow")
    (expression,) = [m["Expression"] for m in low["Metrics"] if "Expression" in m]
    assert expression == "IF(cpu < 60 AND (conns / tasks) < 3000, 1, 0)"
    assert all(m["MetricStat"]["Period"] == 60 for m in low["Metrics"] if "MetricStat" in m)
    assert (low["EvaluationPeriods"], low["DatapointsToAlarm"]) == (5, 5)
    assert (low["Threshold"], low["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert low["TreatMissingData"] == "notBreaching"
    assert low["AlarmActions"] == [{"Ref": policy_id(synth, "WebScalingScaleIn")}]


def test_step_policies_add_and_remove_tasks(synth):
    policies = {k: v["Properties"] for k, v in synth.of_type("AWS::ApplicationAutoScaling::ScalingPolicy").items()}
    steps = {
        k.removeprefix("WebScaling")[:-8]: p["StepScalingPolicyConfiguration"]["StepAdjustments"]
        for k, p in policies.items()
    }
    assert steps["ScaleOut"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}]
    assert steps["ScaleIn"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": -1}]


def test_composite_alarm_is_cpu_or_connections(synth):
    _, composite = synth.one("AWS::CloudWatch::CompositeAlarm")
    rule = str(composite["Properties"]["AlarmRule"])
    cpu_id = next(k for k in alarms(synth) if k.startswith("WebScalingCpuHigh"))
    conn_id = next(k for k in alarms(synth) if k.startswith("WebScalingConnectionsHigh"))
    assert "ALARM(" in rule and " OR " in rule
    assert cpu_id in rule and conn_id in rule
    topic_id, _ = synth.one("AWS::SNS::Topic")
    assert composite["Properties"]["AlarmActions"] == [{"Ref": topic_id}]


def test_the_thresholds_are_parameters(tmp_path):
    s = synthesize(
        tmp_path,
        context={"web_max_tasks": "60", "scale_out_cpu_percent": "70", "scale_in_minutes": "10"},
    )
    _, target = s.one("AWS::ApplicationAutoScaling::ScalableTarget")
    assert target["Properties"]["MaxCapacity"] == 60
    assert alarm(s, "WebScalingCpuHigh")["Threshold"] == 70
    low = alarm(s, "WebScalingBothLow")
    assert low["EvaluationPeriods"] == 10
    assert "cpu < 70 AND" in next(m["Expression"] for m in low["Metrics"] if "Expression" in m)
