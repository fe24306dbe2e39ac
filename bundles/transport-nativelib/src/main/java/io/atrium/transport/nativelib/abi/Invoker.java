package io.atrium.transport.nativelib.abi;

/**
 * The two functions of Atrium's C ABI on every call's path, bound to one library: {@code atrium_invoke}
 * and {@code atrium_free}. Implemented by {@link DirectInvoker}, a class whose native methods JNA binds
 * to the library (direct mapping: no reflection or argument conversion per call); each library gets its
 * own copy of that class, since a class's native methods are bound to one library.
 */
public interface Invoker {
    /**
     * @param method   the method's name, NUL-terminated UTF-8
     * @param request  the arguments as a JSON array, UTF-8
     * @param response out: [0] the answer's address, owned by the library
     * @param length   out: [0] the answer's length in bytes
     * @return 0 when the answer is the result, else the answer is the error as {@code {"code":…,"message":…}}
     */
    int invoke(byte[] method, byte[] request, long[] response, long[] length);

    /** Hands an answer back to the library that made it, to free with its own allocator. */
    void free(long address, long length);
}
