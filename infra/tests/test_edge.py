"""ALB (TLS 1.3 policy, HTTP/2, idle timeout above the heartbeat, stickiness for the stream
only), WAF on the ALB, CloudFront for static assets."""

from __future__ import annotations

import re

import pytest

from conftest import REPO, synthesize

STREAM_CONTROLLER = REPO / "apps/web/src/tradewind/apps/web/stream/controller.py"


def alb_attributes(synth) -> dict[str, str]:
    _, alb = synth.one("AWS::ElasticLoadBalancingV2::LoadBalancer")
    assert alb["Properties"]["Scheme"] == "internet-facing"
    return {a["Key"]: a["Value"] for a in alb["Properties"]["LoadBalancerAttributes"]}


def test_http2_and_an_idle_timeout_above_the_sse_heartbeat(synth):
    attrs = alb_attributes(synth)
    assert attrs["routing.http2.enabled"] == "true"
    heartbeat = float(re.search(r"^HEARTBEAT_SECONDS = ([0-9.]+)", STREAM_CONTROLLER.read_text(), re.M).group(1))
    assert synth.stack.params.sse_heartbeat_seconds == heartbeat
    assert int(attrs["idle_timeout.timeout_seconds"]) > heartbeat


def test_an_idle_timeout_under_the_heartbeat_is_refused(tmp_path):
    with pytest.raises(ValueError, match="idle"):
        synthesize(tmp_path, alb_idle_timeout_seconds=10)


def test_https_listener_uses_a_tls13_policy_and_http_redirects(synth):
    listeners = {
        ln["Properties"]["Port"]: ln["Properties"]
        for ln in synth.of_type("AWS::ElasticLoadBalancingV2::Listener").values()
    }
    assert listeners[443]["Protocol"] == "HTTPS"
    assert "TLS13" in listeners[443]["SslPolicy"]
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"


def test_stickiness_only_for_the_stream_path(synth):
    groups = synth.of_type("AWS::ElasticLoadBalancingV2::TargetGroup")
    sticky = {}
    for logical_id, group in groups.items():
        attrs = {a["Key"]: a["Value"] for a in group["Properties"].get("TargetGroupAttributes", [])}
        sticky[logical_id] = attrs.get("stickiness.enabled") == "true"
        if sticky[logical_id]:
            assert attrs["stickiness.type"] == "lb_cookie"  # duration-based
            assert attrs["stickiness.lb_cookie.duration_seconds"] == "3600"
    (stream_group,) = [k for k, v in sticky.items() if v]
    (api_group,) = [k for k, v in sticky.items() if not v]
    _, rule = synth.one("AWS::ElasticLoadBalancingV2::ListenerRule")
    assert rule["Properties"]["Conditions"][0]["PathPatternConfig"]["Values"] == ["/api/v1/stream", "/api/v1/stream/*"]
    assert rule["Properties"]["Actions"][0]["TargetGroupArn"] == {"Ref": stream_group}
    https = [
        ln for ln in synth.of_type("AWS::ElasticLoadBalancingV2::Listener").values() if ln["Properties"]["Port"] == 443
    ]
    assert https[0]["Properties"]["DefaultActions"][0]["TargetGroupArn"] == {"Ref": api_group}
    # both groups hold the web tasks
    (web,) = [s for k, s in synth.of_type("AWS::ECS::Service").items() if k.startswith("ServicesWebService")]
    assert {lb["TargetGroupArn"]["Ref"] for lb in web["Properties"]["LoadBalancers"]} == {stream_group, api_group}


def test_waf_guards_the_alb(synth):
    alb_id, _ = synth.one("AWS::ElasticLoadBalancingV2::LoadBalancer")
    acl_id, acl = synth.one("AWS::WAFv2::WebACL")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    rules = {r["Name"] for r in acl["Properties"]["Rules"]}
    assert {"RatePerIp", "AWSManagedRulesCommonRuleSet"} <= rules
    _, assoc = synth.one("AWS::WAFv2::WebACLAssociation")
    assert assoc["Properties"]["ResourceArn"] == {"Ref": alb_id}
    assert assoc["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}


def test_cloudfront_caches_static_assets_only(synth):
    _, dist = synth.one("AWS::CloudFront::Distribution")
    config = dist["Properties"]["DistributionConfig"]
    (static,) = config["CacheBehaviors"]
    assert static["PathPattern"] == "/static/*"
    caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # AWS managed policy id
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == caching_disabled
    assert static["CachePolicyId"] != caching_disabled
    assert config["Origins"][0]["DomainName"] == "trade.example.com"
    assert config["Origins"][0]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def test_deploy_without_a_domain_says_what_to_pass(tmp_path):
    with pytest.raises(ValueError, match="certificate_arn"):
        synthesize(tmp_path, domain_name="", certificate_arn="")


def test_cdn_with_its_own_name_gets_tls_1_2_as_its_floor(tmp_path):
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-1111-1111-1111-111111111111"
    s = synthesize(tmp_path, cdn_domain_name="static.example.com", cdn_certificate_arn=cert)
    _, dist = s.one("AWS::CloudFront::Distribution")
    config = dist["Properties"]["DistributionConfig"]
    assert config["Aliases"] == ["static.example.com"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == cert
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
