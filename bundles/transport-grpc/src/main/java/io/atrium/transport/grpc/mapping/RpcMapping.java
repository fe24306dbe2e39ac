package io.atrium.transport.grpc.mapping;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One contract method on one unary rpc. Its arguments fill the request's fields in the order they are
 * declared, or by name when the contract was compiled with its parameter names and they all match; its
 * result is the response's only field, or the whole response read as the return type (a record, a
 * class) through protobuf's JSON mapping. Scalars, strings, bytes and enums are set directly; messages,
 * lists and maps go through JSON.
 */
public final class RpcMapping {
    /** Records and classes to and from protobuf's JSON mapping, where bytes are base64 (Gson's own are arrays of numbers). */
    private static final Gson GSON = new com.google.gson.GsonBuilder().registerTypeAdapter(byte[].class, new Base64Bytes().nullSafe()).create();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace().preservingProtoFieldNames();
    /** A response read as a record: every field, so that one left at its default is that default, not null. */
    @SuppressWarnings("deprecation") // its successor (alwaysPrintFieldsWithNoPresence) is not in protobuf 3.25
    private static final JsonFormat.Printer WHOLE = PRINTER.includingDefaultValueFields();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    /** Serves a callback the caller passed, for the one call it is passed to: go-plugin's broker, on the plugin's connection. */
    public interface Broker {
        /** @return the id the plugin dials the callback by, the value of the request's field */
        int serve(CallbackMapping callback, Object implementation);
    }

    private final MethodDescriptor rpc;
    private final FieldDescriptor[] arguments;
    /** Per argument: the callback it is served as, or null for a value. */
    private final CallbackMapping[] callbacks;
    private final Type returns;
    /** The response field that is the result, or null: the whole response is (or the method returns nothing). */
    private final FieldDescriptor result;
    private final boolean returnsNothing;

    private RpcMapping(MethodDescriptor rpc, FieldDescriptor[] arguments, CallbackMapping[] callbacks, Type returns, FieldDescriptor result,
                       boolean returnsNothing) {
        this.rpc = rpc;
        this.arguments = arguments;
        this.callbacks = callbacks;
        this.returns = returns;
        this.result = result;
        this.returnsNothing = returnsNothing;
    }

    /** @throws IllegalArgumentException one line naming the method, the rpc and what does not fit */
    static RpcMapping of(Method m, MethodDescriptor rpc) {
        String where = m.getDeclaringClass().getSimpleName() + "." + m.getName() + " → " + rpc.getFullName();
        if (rpc.isClientStreaming() || rpc.isServerStreaming()) {
            throw new IllegalArgumentException(where + ": a streaming rpc cannot be a contract method (only unary rpcs map)");
        }
        Descriptor request = rpc.getInputType();
        List<FieldDescriptor> fields = request.getFields();
        Parameter[] params = m.getParameters();
        if (params.length > fields.size()) {
            throw new IllegalArgumentException(where + ": the method takes " + params.length + " arguments, the request "
                    + request.getFullName() + " has " + fields.size() + " fields");
        }
        FieldDescriptor[] args = new FieldDescriptor[params.length];
        CallbackMapping[] callbacks = new CallbackMapping[params.length];
        boolean byName = params.length > 0;
        for (int i = 0; i < params.length && byName; i++) {
            byName = params[i].isNamePresent() && field(request, params[i].getName()) != null;
        }
        for (int i = 0; i < params.length; i++) {
            args[i] = byName ? field(request, params[i].getName()) : fields.get(i);
            if (CallbackMapping.isCallback(params[i].getType(), args[i])) {
                callbacks[i] = CallbackMapping.of(where, i + 1, params[i].getType(), args[i], rpc.getFile());
                continue;
            }
            String problem = fits(params[i].getType(), args[i]);
            if (problem != null) {
                throw new IllegalArgumentException(where + ": argument " + (i + 1) + " (" + params[i].getType().getSimpleName()
                        + ") cannot fill field '" + args[i].getName() + "' (" + typeName(args[i]) + "): " + problem);
            }
        }
        Descriptor response = rpc.getOutputType();
        boolean nothing = m.getReturnType() == void.class;
        FieldDescriptor result = null;
        if (!nothing && response.getFields().size() == 1 && fits(m.getReturnType(), response.getFields().get(0)) == null) {
            result = response.getFields().get(0);
        } else if (!nothing && isScalar(m.getReturnType())) {
            throw new IllegalArgumentException(where + ": the method returns " + m.getReturnType().getSimpleName() + ", but the response "
                    + response.getFullName() + " is not one field of that type (it has " + response.getFields().stream()
                    .map(f -> f.getName() + " " + typeName(f)).toList() + ")");
        }
        return new RpcMapping(rpc, args, callbacks, m.getGenericReturnType(), result, nothing);
    }

    static FieldDescriptor field(Descriptor d, String javaName) {
        for (FieldDescriptor f : d.getFields()) {
            if (f.getName().equalsIgnoreCase(javaName) || f.getJsonName().equals(javaName)) {
                return f;
            }
        }
        return null;
    }

    /** @return why a Java type cannot be the field's value, or null when it can */
    static String fits(Class<?> t, FieldDescriptor f) {
        if (f.isMapField() || f.isRepeated() || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            return isScalar(t) && t != Object.class ? "a " + (f.isRepeated() ? "repeated field" : "message") + " takes a list, map, record or class"
                    : null;
        }
        Class<?> b = boxed(t);
        boolean ok = switch (f.getJavaType()) {
            case STRING -> b == String.class;
            case BYTE_STRING -> b == byte[].class;
            case INT -> b == Integer.class || b == Short.class || b == Byte.class;
            case LONG -> b == Long.class || b == Integer.class;
            case BOOLEAN -> b == Boolean.class;
            case DOUBLE -> b == Double.class || b == Float.class;
            case FLOAT -> b == Float.class;
            case ENUM -> b == String.class || b.isEnum();
            default -> false;
        };
        return ok ? null : "the types differ";
    }

    static boolean isScalar(Class<?> t) {
        Class<?> b = boxed(t);
        return b == String.class || b == byte[].class || Number.class.isAssignableFrom(b) || b == Boolean.class || b.isEnum()
                || b == Character.class;
    }

    private static Class<?> boxed(Class<?> t) {
        if (!t.isPrimitive()) {
            return t;
        }
        return switch (t.getName()) {
            case "int" -> Integer.class;
            case "long" -> Long.class;
            case "boolean" -> Boolean.class;
            case "double" -> Double.class;
            case "float" -> Float.class;
            case "short" -> Short.class;
            case "byte" -> Byte.class;
            case "char" -> Character.class;
            default -> Void.class;
        };
    }

    static String typeName(FieldDescriptor f) {
        String t = f.getType().name().toLowerCase(Locale.ROOT);
        if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            t = f.getMessageType().getFullName();
        } else if (f.getJavaType() == FieldDescriptor.JavaType.ENUM) {
            t = f.getEnumType().getFullName();
        }
        return f.isMapField() ? "map" : f.isRepeated() ? "repeated " + t : t;
    }

    /** @return the rpc it calls */
    public MethodDescriptor rpc() {
        return rpc;
    }

    /** @return whether an argument is a callback, which a call serves through go-plugin's broker while it runs */
    public boolean hasCallbacks() {
        for (CallbackMapping c : callbacks) {
            if (c != null) {
                return true;
            }
        }
        return false;
    }

    /** @return the request for these arguments, which pass no callback */
    public DynamicMessage request(Object[] args) {
        return request(args, (callback, implementation) -> {
            throw new IllegalStateException("a callback with no broker");
        });
    }

    /**
     * @param broker serves each callback argument for this call
     * @return the request for these arguments
     * @throws IllegalArgumentException an argument that does not fit (a null callback)
     */
    public DynamicMessage request(Object[] args, Broker broker) {
        DynamicMessage.Builder b = DynamicMessage.newBuilder(rpc.getInputType());
        for (int i = 0; args != null && i < args.length; i++) {
            if (callbacks[i] != null) {
                if (args[i] == null) {
                    throw new IllegalArgumentException("argument " + (i + 1) + " is a callback (" + callbacks[i].type().getSimpleName()
                            + ") the plugin calls back, and cannot be null");
                }
                b.setField(arguments[i], broker.serve(callbacks[i], args[i]));
            } else if (args[i] != null) {
                set(b, arguments[i], args[i]);
            }
        }
        return b.build();
    }

    static void set(DynamicMessage.Builder b, FieldDescriptor f, Object v) {
        if (f.isRepeated() || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            // through JSON: {"field": <the value as Gson writes it>}, read by protobuf's JSON mapping
            com.google.gson.JsonObject one = new com.google.gson.JsonObject();
            one.add(f.getName(), GSON.toJsonTree(v));
            DynamicMessage.Builder part = DynamicMessage.newBuilder(b.getDescriptorForType());
            try {
                PARSER.merge(one.toString(), part);
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalArgumentException("field '" + f.getName() + "': " + e.getMessage());
            }
            b.setField(f, part.getField(f));
            return;
        }
        Object value = switch (f.getJavaType()) {
            case BYTE_STRING -> ByteString.copyFrom((byte[]) v);
            case INT -> ((Number) v).intValue();
            case LONG -> ((Number) v).longValue();
            case DOUBLE -> ((Number) v).doubleValue();
            case FLOAT -> ((Number) v).floatValue();
            case ENUM -> enumValue(f, v);
            default -> v;
        };
        b.setField(f, value);
    }

    private static EnumValueDescriptor enumValue(FieldDescriptor f, Object v) {
        String name = v instanceof Enum<?> e ? e.name() : v.toString();
        EnumValueDescriptor d = f.getEnumType().findValueByName(name);
        if (d == null) {
            throw new IllegalArgumentException("field '" + f.getName() + "': " + f.getEnumType().getFullName() + " has no value " + name);
        }
        return d;
    }

    /** @return the result the method returns, read from the response */
    public Object result(DynamicMessage response) {
        if (returnsNothing) {
            return null;
        }
        return read(response, result, returns);
    }

    /**
     * @param result  the field that is the value, or null for the whole message
     * @param returns the value's type
     * @return the value: a scalar as it is, else the field (or the message) through protobuf's JSON mapping
     */
    static Object read(DynamicMessage response, FieldDescriptor result, Type returns) {
        if (result != null && !result.isRepeated() && result.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
            Object v = response.getField(result);
            Class<?> t = returns instanceof Class<?> c ? boxed(c) : Object.class;
            return switch (result.getJavaType()) {
                case BYTE_STRING -> ((ByteString) v).toByteArray();
                case ENUM -> t.isEnum() ? enumConstant(t, ((EnumValueDescriptor) v).getName()) : ((EnumValueDescriptor) v).getName();
                case INT -> t == Short.class ? (Object) ((Integer) v).shortValue() : t == Byte.class ? (Object) ((Integer) v).byteValue() : v;
                case LONG -> v;
                case DOUBLE -> t == Float.class ? (Object) ((Double) v).floatValue() : v;
                default -> v;
            };
        }
        JsonElement json;
        try {
            json = JsonParser.parseString(WHOLE.print(response));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        if (result != null) {
            json = json.getAsJsonObject().get(result.getName());
        }
        return GSON.fromJson(json, returns);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object enumConstant(Class<?> t, String name) {
        return Enum.valueOf((Class) t, name);
    }

    /** @return the message in protobuf's JSON mapping, with the .proto's field names */
    public static String json(DynamicMessage m) {
        try {
            return PRINTER.print(m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the request a by-name call's JSON input makes */
    public static DynamicMessage request(MethodDescriptor rpc, String json) {
        DynamicMessage.Builder b = DynamicMessage.newBuilder(rpc.getInputType());
        try {
            PARSER.merge(json == null || json.isBlank() ? "{}" : json, b);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("the input is not a " + rpc.getInputType().getFullName() + " in protobuf's JSON mapping: " + e.getMessage());
        }
        return b.build();
    }

    /** {@code byte[]} as protobuf's JSON mapping writes bytes: base64 (read in its URL-safe form too, as protobuf accepts). */
    private static final class Base64Bytes extends com.google.gson.TypeAdapter<byte[]> {
        @Override
        public void write(com.google.gson.stream.JsonWriter out, byte[] value) throws java.io.IOException {
            out.value(java.util.Base64.getEncoder().encodeToString(value));
        }

        @Override
        public byte[] read(com.google.gson.stream.JsonReader in) throws java.io.IOException {
            String text = in.nextString();
            try {
                return java.util.Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException notStandard) {
                return java.util.Base64.getUrlDecoder().decode(text);
            }
        }
    }

    /** @return the names of the request fields the arguments fill, in order */
    public List<String> argumentFields() {
        List<String> names = new ArrayList<>();
        for (FieldDescriptor f : arguments) {
            names.add(f.getName());
        }
        return names;
    }
}
