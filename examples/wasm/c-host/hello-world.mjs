// The host function c-host/host.wasm imports, in Extism's JavaScript host: the twin of the Java
// io.atrium.spi.HostFunction the tests register (runtime's WasmHostFunctionIT), so that both hosts
// must answer alike. It adds who answered to the plugin's JSON: {"count": 3} -> {"count": 3, "host": "hello, vowels"}
// (the plugin's name: Extism's JavaScript host does not pass it, so it is the name the tests deploy it under).
export default {
  "extism:host/user": {
    hello_world(callContext, offset) {
      const text = callContext.read(offset).text();
      return callContext.store(text.replace(/}$/, ', "host": "hello, vowels"}'));
    },
  },
};
