package io.gitward.proxy.forward;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.gitward.proto.Repository;
import java.io.IOException;

/**
 * Reads the one field the proxy needs — the request's target repository, marked {@code (target_repository)} in
 * the proto — from a message's bytes, skipping everything else (unknown fields included) without touching it.
 */
final class TargetRepository {
    private TargetRepository() {
    }

    /** The repository in field {@code fieldNumber}, or null when the message does not carry it. */
    static Repository read(byte[] message, int fieldNumber) throws InvalidProtocolBufferException {
        CodedInputStream in = CodedInputStream.newInstance(message);
        Repository found = null;
        try {
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return found;
                }
                if (WireFormat.getTagFieldNumber(tag) == fieldNumber
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    // The last occurrence wins, as protobuf merges it (merging a message field, to be exact).
                    Repository next = Repository.parseFrom(in.readBytes());
                    found = found == null ? next : found.toBuilder().mergeFrom(next).build();
                } else if (!in.skipField(tag)) {
                    return found;
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (IOException e) {
            throw new InvalidProtocolBufferException(e);
        }
    }
}
