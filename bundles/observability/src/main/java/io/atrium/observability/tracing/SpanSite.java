package io.atrium.observability.tracing;

import io.atrium.spi.CallSite;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;

/** What every span of one plugin method shares: its name and attributes, made once per method. */
final class SpanSite {
    static final AttributeKey<String> PLUGIN = AttributeKey.stringKey("atrium.plugin.name");
    static final AttributeKey<String> VERSION = AttributeKey.stringKey("atrium.plugin.version");
    static final AttributeKey<String> TRANSPORT = AttributeKey.stringKey("atrium.plugin.transport");
    static final AttributeKey<String> STATUS = AttributeKey.stringKey("atrium.call.status");
    static final AttributeKey<String> SERVICE = AttributeKey.stringKey("rpc.service");
    static final AttributeKey<String> METHOD = AttributeKey.stringKey("rpc.method");

    final String name;
    final String plugin;
    final String method;
    final String transport;
    final Attributes attributes;

    SpanSite(CallSite site) {
        this.name = site.plugin() + "/" + site.method();
        this.plugin = site.plugin();
        this.method = site.method();
        this.transport = site.transportId();
        this.attributes = Attributes.of(PLUGIN, site.plugin(), VERSION, site.version(), TRANSPORT, site.transportId(),
                SERVICE, site.contract(), METHOD, site.method());
    }
}
