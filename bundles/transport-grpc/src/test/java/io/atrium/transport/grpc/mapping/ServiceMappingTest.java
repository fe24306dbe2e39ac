package io.atrium.transport.grpc.mapping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.DynamicMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mapping against go-plugin's KV example's service, as protoc describes kv.proto. */
class ServiceMappingTest {
    @TempDir
    Path dir;

    interface KV {
        void put(String key, byte[] value);

        byte[] get(String key);
    }

    /** The response as a record, and a request field that is a message. */
    interface Records {
        Stored get(String key);

        record Stored(byte[] value) {
        }
    }

    interface Wrong {
        int get(String key);
    }

    interface Extra {
        void delete(String key);
    }

    private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type) {
        return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type)
                .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL).setJsonName(name).build();
    }

    /** kv.proto of go-plugin's examples/grpc, as protoc --descriptor_set_out writes it. */
    private Path kvSet() throws Exception {
        FileDescriptorProto kv = FileDescriptorProto.newBuilder().setName("kv.proto").setPackage("proto").setSyntax("proto3")
                .addMessageType(DescriptorProto.newBuilder().setName("GetRequest").addField(field("key", 1, FieldDescriptorProto.Type.TYPE_STRING)))
                .addMessageType(DescriptorProto.newBuilder().setName("GetResponse").addField(field("value", 1, FieldDescriptorProto.Type.TYPE_BYTES)))
                .addMessageType(DescriptorProto.newBuilder().setName("PutRequest").addField(field("key", 1, FieldDescriptorProto.Type.TYPE_STRING))
                        .addField(field("value", 2, FieldDescriptorProto.Type.TYPE_BYTES)))
                .addMessageType(DescriptorProto.newBuilder().setName("Empty"))
                .addService(ServiceDescriptorProto.newBuilder().setName("KV")
                        .addMethod(MethodDescriptorProto.newBuilder().setName("Get").setInputType(".proto.GetRequest").setOutputType(".proto.GetResponse"))
                        .addMethod(MethodDescriptorProto.newBuilder().setName("Put").setInputType(".proto.PutRequest").setOutputType(".proto.Empty")))
                .build();
        Path f = dir.resolve("kv.protoset");
        Files.write(f, FileDescriptorSet.newBuilder().addFile(kv).build().toByteArray());
        return f;
    }

    @Test
    void theContractsMethodsCallTheRpcsOfTheirNames() throws Exception {
        ServiceDescriptor kv = ServiceMapping.service(kvSet(), "proto.KV");
        ServiceMapping m = ServiceMapping.of(kv, KV.class, Map.of());
        RpcMapping put = m.of(KV.class.getMethod("put", String.class, byte[].class));
        assertEquals("proto.KV.Put", put.rpc().getFullName());
        DynamicMessage request = put.request(new Object[] {"k", new byte[] {1, 2}});
        assertEquals("k", request.getField(request.getDescriptorForType().findFieldByName("key")));
        assertEquals(ByteString.copyFrom(new byte[] {1, 2}), request.getField(request.getDescriptorForType().findFieldByName("value")));
        RpcMapping get = m.of(KV.class.getMethod("get", String.class));
        var responseType = get.rpc().getOutputType();
        DynamicMessage response = DynamicMessage.newBuilder(responseType).setField(responseType.findFieldByName("value"), ByteString.copyFromUtf8("v")).build();
        assertArrayEquals("v".getBytes(), (byte[]) get.result(response), "the response's one field is the result");
        assertEquals("{\"value\":\"dg==\"}", RpcMapping.json(response));
        assertEquals("k", RpcMapping.request(m.rpc("Get"), "{\"key\": \"k\"}").getAllFields().values().iterator().next());
    }

    @Test
    void aRecordIsTheWholeResponseItsBytesIncluded() throws Exception {
        ServiceMapping m = ServiceMapping.of(ServiceMapping.service(kvSet(), "proto.KV"), Records.class, Map.of());
        RpcMapping get = m.of(Records.class.getMethod("get", String.class));
        var responseType = get.rpc().getOutputType();
        DynamicMessage response = DynamicMessage.newBuilder(responseType).setField(responseType.findFieldByName("value"),
                ByteString.copyFrom(new byte[] {0, (byte) 0xff, 'v'})).build();
        Records.Stored stored = (Records.Stored) get.result(response);
        assertArrayEquals(new byte[] {0, (byte) 0xff, 'v'}, stored.value(), "bytes in protobuf's JSON are base64: read back as bytes");
        assertArrayEquals(new byte[0], ((Records.Stored) get.result(DynamicMessage.getDefaultInstance(responseType))).value(),
                "an empty bytes field is left out of the JSON: empty bytes, as protobuf reads it");
    }

    @Test
    void whatCannotMapIsRefusedInOneLineNamingBoth() throws Exception {
        ServiceDescriptor kv = ServiceMapping.service(kvSet(), "proto.KV");
        assertEquals("Wrong.get → proto.KV.Get: the method returns int, but the response proto.GetResponse is not one field of that type "
                + "(it has [value bytes])", assertThrows(IllegalArgumentException.class, () -> ServiceMapping.of(kv, Wrong.class, Map.of())).getMessage());
        assertEquals("Extra.delete has no rpc in proto.KV (it has [Get, Put]; map it in the manifest's \"methods\")",
                assertThrows(IllegalArgumentException.class, () -> ServiceMapping.of(kv, Extra.class, Map.of())).getMessage());
        assertEquals("proto.KV.Get", ServiceMapping.of(kv, Extra.class, Map.of("delete", "Get")).of(Extra.class.getMethod("delete", String.class))
                .rpc().getFullName(), "the manifest's \"methods\" maps a name");
        assertEquals("field 'methods': " + Extra.class.getName() + " has no method remove",
                assertThrows(IllegalArgumentException.class, () -> ServiceMapping.of(kv, Extra.class, Map.of("remove", "Get"))).getMessage());
    }

    interface AddHelper {
        long sum(long a, long b);
    }

    interface Counter {
        void put(String key, long value, AddHelper addServer);

        long get(String key);
    }

    interface Multiplier {
        long sum(long a, long b);
    }

    interface BadCounter {
        void put(Multiplier addServer, String key, long value);
    }

    interface Wrongs {
        interface AddHelper {
            String sum(long a, long b);
        }
    }

    interface WrongCounter {
        void put(String key, long value, Wrongs.AddHelper addServer);
    }

    interface CallbackInAString {
        void put(AddHelper key, String addServer, long value);
    }

    /** kv.proto of go-plugin's examples/bidirectional: a Counter whose Put takes the broker id of the caller's AddHelper. */
    private Path counterSet() throws Exception {
        FileDescriptorProto kv = FileDescriptorProto.newBuilder().setName("kv.proto").setPackage("proto").setSyntax("proto3")
                .addMessageType(DescriptorProto.newBuilder().setName("GetRequest").addField(field("key", 1, FieldDescriptorProto.Type.TYPE_STRING)))
                .addMessageType(DescriptorProto.newBuilder().setName("GetResponse").addField(field("value", 1, FieldDescriptorProto.Type.TYPE_INT64)))
                .addMessageType(DescriptorProto.newBuilder().setName("PutRequest").addField(field("add_server", 1, FieldDescriptorProto.Type.TYPE_UINT32)
                        .toBuilder().setJsonName("addServer").build())
                        .addField(field("key", 2, FieldDescriptorProto.Type.TYPE_STRING)).addField(field("value", 3, FieldDescriptorProto.Type.TYPE_INT64)))
                .addMessageType(DescriptorProto.newBuilder().setName("Empty"))
                .addMessageType(DescriptorProto.newBuilder().setName("SumRequest").addField(field("a", 1, FieldDescriptorProto.Type.TYPE_INT64))
                        .addField(field("b", 2, FieldDescriptorProto.Type.TYPE_INT64)))
                .addMessageType(DescriptorProto.newBuilder().setName("SumResponse").addField(field("r", 1, FieldDescriptorProto.Type.TYPE_INT64)))
                .addService(ServiceDescriptorProto.newBuilder().setName("Counter")
                        .addMethod(MethodDescriptorProto.newBuilder().setName("Get").setInputType(".proto.GetRequest").setOutputType(".proto.GetResponse"))
                        .addMethod(MethodDescriptorProto.newBuilder().setName("Put").setInputType(".proto.PutRequest").setOutputType(".proto.Empty")))
                .addService(ServiceDescriptorProto.newBuilder().setName("AddHelper")
                        .addMethod(MethodDescriptorProto.newBuilder().setName("Sum").setInputType(".proto.SumRequest").setOutputType(".proto.SumResponse")))
                .build();
        Path f = dir.resolve("counter.protoset");
        Files.write(f, FileDescriptorSet.newBuilder().addFile(kv).build().toByteArray());
        return f;
    }

    @Test
    void aCallbackArgumentIsServedAsTheServiceOfItsNameUnderTheIdTheBrokerGivesIt() throws Exception {
        ServiceMapping m = ServiceMapping.of(ServiceMapping.service(counterSet(), "proto.Counter"), Counter.class, Map.of());
        assertEquals(java.util.List.of("Counter.put"), m.withCallbacks());
        RpcMapping put = m.of(Counter.class.getMethod("put", String.class, long.class, AddHelper.class));
        assertTrue(put.hasCallbacks());
        AddHelper helper = (a, b) -> a + b;
        CallbackMapping[] served = new CallbackMapping[1];
        DynamicMessage request = put.request(new Object[] {"k", 5L, helper}, (callback, implementation) -> {
            served[0] = callback;
            assertTrue(implementation == helper);
            return 7;
        });
        var type = request.getDescriptorForType();
        assertEquals(7, request.getField(type.findFieldByName("add_server")), "the broker's id, in the field the callback fills");
        assertEquals("k", request.getField(type.findFieldByName("key")));
        assertEquals(5L, request.getField(type.findFieldByName("value")));
        assertEquals("proto.AddHelper", served[0].service().getFullName());
        var sum = served[0].service().findMethodByName("Sum");
        DynamicMessage in = DynamicMessage.newBuilder(sum.getInputType()).setField(sum.getInputType().findFieldByName("a"), 40L)
                .setField(sum.getInputType().findFieldByName("b"), 2L).build();
        DynamicMessage out = served[0].invoke(helper, sum, in);
        assertEquals(42L, out.getField(sum.getOutputType().findFieldByName("r")), "the helper's sum, in the response's one field");
        assertEquals("no", assertThrows(IllegalStateException.class, () -> served[0].invoke((AddHelper) (a, b) -> {
            throw new IllegalStateException("no");
        }, sum, in)).getMessage(), "what the helper throws is the rpc's failure");
        assertEquals("argument 3 is a callback (AddHelper) the plugin calls back, and cannot be null",
                assertThrows(IllegalArgumentException.class, () -> put.request(new Object[] {"k", 5L, null}, (c, i) -> 1)).getMessage());
    }

    @Test
    void aCallbackThatCannotMapIsRefusedInOneLine() throws Exception {
        ServiceDescriptor counter = ServiceMapping.service(counterSet(), "proto.Counter");
        assertEquals("BadCounter.put → proto.Counter.Put: argument 1 (Multiplier, a callback): the descriptor set has no service Multiplier to "
                + "serve it as (it has [proto.Counter, proto.AddHelper])", assertThrows(IllegalArgumentException.class,
                () -> ServiceMapping.of(counter, BadCounter.class, Map.of())).getMessage());
        assertEquals("WrongCounter.put → proto.Counter.Put: argument 3 (AddHelper, a callback): AddHelper.sum → proto.AddHelper.Sum: the "
                + "method returns String, but the response proto.SumResponse is not one field of that type (it has [r int64])",
                assertThrows(IllegalArgumentException.class, () -> ServiceMapping.of(counter, WrongCounter.class, Map.of())).getMessage());
        // an interface on a field that is not the broker's uint32 is a value, as any type is: here one that cannot fill a string
        assertEquals("CallbackInAString.put → proto.Counter.Put: argument 1 (AddHelper) cannot fill field 'key' (string): the types differ",
                assertThrows(IllegalArgumentException.class, () -> ServiceMapping.of(counter, CallbackInAString.class, Map.of())).getMessage());
    }

    sealed interface Shape permits Circle {
    }

    record Circle(double radius) implements Shape {
    }

    interface Canvas {
        void draw(Shape shape);
    }

    @Test
    void anInterfaceOnAMessageFieldIsAValueNotACallback() throws Exception {
        FileDescriptorProto canvas = FileDescriptorProto.newBuilder().setName("canvas.proto").setPackage("proto").setSyntax("proto3")
                .addMessageType(DescriptorProto.newBuilder().setName("Shape").addField(field("radius", 1, FieldDescriptorProto.Type.TYPE_DOUBLE)))
                .addMessageType(DescriptorProto.newBuilder().setName("DrawRequest").addField(field("shape", 1, FieldDescriptorProto.Type.TYPE_MESSAGE)
                        .toBuilder().setTypeName(".proto.Shape").build()))
                .addMessageType(DescriptorProto.newBuilder().setName("Empty"))
                .addService(ServiceDescriptorProto.newBuilder().setName("Canvas")
                        .addMethod(MethodDescriptorProto.newBuilder().setName("Draw").setInputType(".proto.DrawRequest").setOutputType(".proto.Empty")))
                .build();
        Path set = dir.resolve("canvas.protoset");
        Files.write(set, FileDescriptorSet.newBuilder().addFile(canvas).build().toByteArray());
        ServiceMapping m = ServiceMapping.of(ServiceMapping.service(set, "proto.Canvas"), Canvas.class, Map.of());
        assertEquals(java.util.List.of(), m.withCallbacks());
        RpcMapping draw = m.of(Canvas.class.getMethod("draw", Shape.class));
        assertEquals("{\"shape\":{\"radius\":2.5}}", RpcMapping.json(draw.request(new Object[] {new Circle(2.5)})));
    }

    @Test
    void aDescriptorSetThatIsNotOneIsRefusedInOneLine() throws Exception {
        Path missing = dir.resolve("none.protoset");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServiceMapping.service(missing, "proto.KV")).getMessage()
                .startsWith("descriptor set none.protoset is missing (make it with protoc --descriptor_set_out=none.protoset"));
        Path empty = Files.createFile(dir.resolve("empty.protoset"));
        assertEquals("descriptor set empty.protoset is empty", assertThrows(IllegalArgumentException.class, () -> ServiceMapping.service(empty, "x.Y")).getMessage());
        Path text = Files.writeString(dir.resolve("text.protoset"), "syntax = \"proto3\";");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServiceMapping.service(text, "x.Y")).getMessage()
                .startsWith("descriptor set text.protoset is not a protobuf descriptor set ("));
        assertEquals("descriptor set kv.protoset has no service proto.Nope (it has proto.KV)",
                assertThrows(IllegalArgumentException.class, () -> ServiceMapping.service(kvSet(), "proto.Nope")).getMessage());
        FileDescriptorProto importing = FileDescriptorProto.newBuilder().setName("a.proto").addDependency("b.proto").build();
        Path partial = dir.resolve("partial.protoset");
        Files.write(partial, FileDescriptorSet.newBuilder().addFile(importing).build().toByteArray());
        assertEquals("descriptor set partial.protoset lacks b.proto, which a.proto imports (make it with --include_imports)",
                assertThrows(IllegalArgumentException.class, () -> ServiceMapping.service(partial, "x.Y")).getMessage());
    }
}
