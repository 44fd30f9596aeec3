package dev.mailrelay.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;

/**
 * Thrown when an AWS API call does not succeed: the service answered an error ({@link #errorType()}
 * such as ConditionalCheckFailedException, with the error body), or no answer came (I/O failure,
 * missing region or credentials; then the error type is null).
 */
public final class AwsCallFailed extends RuntimeException {

    private final String errorType;
    private final int status;
    private final transient JsonNode body;

    AwsCallFailed(String message, String errorType, int status, Throwable cause) {
        this(message, errorType, status, MissingNode.getInstance(), cause);
    }

    AwsCallFailed(String message, String errorType, int status, JsonNode body, Throwable cause) {
        super(message, cause);
        this.errorType = errorType;
        this.status = status;
        this.body = body;
    }

    /** The AWS error code without its namespace, or null when there was no answer. */
    public String errorType() {
        return errorType;
    }

    /** The HTTP status, or -1 when there was no answer. */
    public int status() {
        return status;
    }

    /** The error answer's JSON (DynamoDB puts the old item here for ReturnValuesOnConditionCheckFailure). */
    public JsonNode body() {
        return body;
    }

    public boolean is(String type) {
        return type.equals(errorType);
    }
}
