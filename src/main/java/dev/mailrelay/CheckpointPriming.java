package dev.mailrelay;

import java.util.Map;

import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

import org.crac.Core;
import org.crac.Resource;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;

import io.quarkus.amazon.lambda.http.LambdaHttpHandler;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;

/**
 * Before a SnapStart snapshot, one real invocation of the Lambda HTTP handler: a Function URL
 * event for the notification endpoint whose signature is stale, answered 401 before any secret,
 * store or SMTP work. The snapshot then holds RESTEasy's routing, the Vert.x virtual channel, the
 * problem path and Jackson's writers loaded and compiled, which the first request after a
 * restore no longer pays for. It writes no answer line (so no metric counts it), keeps no state,
 * and never throws: a throwing hook would fail the snapshot.
 */
@Singleton
public class CheckpointPriming implements Resource {

    /** While true, {@link AnswerLog} writes nothing: the priming invocation is not traffic. */
    static volatile boolean running;

    private final LambdaHttpHandler handler;

    CheckpointPriming(LambdaHttpHandler handler) {
        this.handler = handler;
    }

    void onStart(@Observes StartupEvent event) {
        if ("snap-start".equals(System.getenv("AWS_LAMBDA_INITIALIZATION_TYPE"))) {
            Core.getGlobalContext().register(this);
        }
    }

    @Override
    public void beforeCheckpoint(org.crac.Context<? extends Resource> context) {
        long started = System.nanoTime();
        try {
            int status = invoke();
            Log.infof("primed the handler before the snapshot in %d ms (answer %d)", (System.nanoTime() - started) / 1_000_000,
                    status);
        } catch (Throwable e) { // a throwing hook fails the snapshot; priming only saves time
            Log.warnf("priming the handler before the snapshot failed (%s)", e.getClass().getName());
        }
    }

    @Override
    public void afterRestore(org.crac.Context<? extends Resource> context) {
        // nothing: the request path does its own work
    }

    /** One invocation through the real handler, answered 401 (a stale signature), never counted. */
    int invoke() {
        APIGatewayV2HTTPEvent event = APIGatewayV2HTTPEvent.builder()
                .withVersion("2.0").withRouteKey("$default").withRawPath(NotificationResource.PATH).withRawQueryString("")
                .withHeaders(Map.of("content-type", "application/json", "webhook-id", "msg_priming", "webhook-timestamp", "0",
                        "webhook-signature", "v1,cHJpbWluZw=="))
                .withBody("{}").withIsBase64Encoded(false)
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder()
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder().withMethod("POST").withPath(NotificationResource.PATH)
                                .withProtocol("HTTP/1.1").withSourceIp("127.0.0.1").withUserAgent("priming").build())
                        .withRequestId("priming").withRouteKey("$default").withStage("$default").build())
                .build();
        running = true;
        try {
            return handler.handleRequest(event, CONTEXT).getStatusCode();
        } finally {
            running = false;
        }
    }

    /** The invocation's context: no deadline known (the relay then uses its own budget), no request id. */
    private static final Context CONTEXT = new Context() {
        public String getAwsRequestId() {
            return "priming";
        }

        public String getLogGroupName() {
            return null;
        }

        public String getLogStreamName() {
            return null;
        }

        public String getFunctionName() {
            return "auth0-mail-relay";
        }

        public String getFunctionVersion() {
            return "$LATEST";
        }

        public String getInvokedFunctionArn() {
            return null;
        }

        public CognitoIdentity getIdentity() {
            return null;
        }

        public ClientContext getClientContext() {
            return null;
        }

        public int getRemainingTimeInMillis() {
            return 0;
        }

        public int getMemoryLimitInMB() {
            return 1024;
        }

        public LambdaLogger getLogger() {
            return null;
        }
    };
}
