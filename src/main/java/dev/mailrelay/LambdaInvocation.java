package dev.mailrelay;

import java.time.Duration;
import java.time.Instant;

import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;

import com.amazonaws.services.lambda.runtime.Context;

/**
 * What the relay needs of the Lambda invocation serving a request: when the request must be
 * answered (the time budget, SPEC §4: within 12 s, or earlier when the invocation ends sooner,
 * so that a short function timeout still gets a 504 rather than a killed invocation), and the
 * request id for the log line. Outside Lambda (dev mode) there is neither.
 */
@Singleton
public class LambdaInvocation {

    /** Lambda's longest timeout; a "remaining time" beyond it means there is no real deadline (dev, tests). */
    private static final long MAX_LAMBDA_MILLIS = Duration.ofMinutes(15).toMillis();

    private final Duration budget;
    private final Duration margin;
    private final Instance<Context> invocation;

    LambdaInvocation(RelayConfig config, Instance<Context> invocation) {
        this.budget = config.timeBudget();
        this.margin = config.deadlineMargin();
        this.invocation = invocation;
    }

    Instant deadline(Instant now) {
        return deadline(now, remainingMillis());
    }

    /** The AWS request id of the current invocation, or null outside Lambda. */
    String requestId() {
        try {
            return invocation.isResolvable() ? invocation.get().getAwsRequestId() : null;
        } catch (RuntimeException noInvocation) {
            return null;
        }
    }

    /** The earlier of the budget and the invocation's end less the margin; a remaining time ≤ 0 means none is known. */
    Instant deadline(Instant now, long lambdaRemainingMillis) {
        Instant byBudget = now.plus(budget);
        if (lambdaRemainingMillis <= 0 || lambdaRemainingMillis > MAX_LAMBDA_MILLIS) {
            return byBudget;
        }
        Instant byLambda = now.plusMillis(lambdaRemainingMillis).minus(margin);
        return byLambda.isBefore(byBudget) ? byLambda : byBudget;
    }

    private long remainingMillis() {
        try {
            return invocation.isResolvable() ? invocation.get().getRemainingTimeInMillis() : 0;
        } catch (RuntimeException noInvocation) {
            return 0;
        }
    }
}
