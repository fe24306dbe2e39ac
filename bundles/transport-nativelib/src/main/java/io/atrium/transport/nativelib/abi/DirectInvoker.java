package io.atrium.transport.nativelib.abi;

/**
 * The template of each library's {@link Invoker}: {@link AbiLoader} defines a copy of this class per
 * library and JNA binds the copy's native methods to that library's {@code atrium_invoke} and
 * {@code atrium_free}. Never bound itself.
 */
public final class DirectInvoker implements Invoker {
    private static native int atrium_invoke(byte[] method, byte[] request, long requestLength, long[] response, long[] length);

    private static native void atrium_free(long address, long length);

    @Override
    public int invoke(byte[] method, byte[] request, long[] response, long[] length) {
        return atrium_invoke(method, request, request.length, response, length);
    }

    @Override
    public void free(long address, long length) {
        atrium_free(address, length);
    }
}
