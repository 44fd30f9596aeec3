package dev.mailrelay;

import jakarta.enterprise.context.RequestScoped;

import dev.mailrelay.smtp.SmtpFailure;
import dev.mailrelay.smtp.SmtpSender;

/**
 * What one request's answer line says about it, gathered on the way (the endpoint, the service)
 * and written once, whatever path the request took, by {@link AnswerLog}.
 */
@RequestScoped
public class AnswerFacts {

    private long startedNanos = System.nanoTime();
    private String headerId;
    private Notification notification;
    private Address to;
    private String id;
    private SmtpSender.Delivery delivery;
    private SmtpFailure failure;

    void started(long nanos, String webhookIdHeader) {
        this.startedNanos = nanos;
        this.headerId = webhookIdHeader;
    }

    void parsed(Notification n, Address recipient) {
        this.notification = n;
        this.to = recipient;
    }

    void identified(String derivedId) {
        this.id = derivedId;
    }

    void delivered(SmtpSender.Delivery d) {
        this.delivery = d;
    }

    void failed(SmtpFailure e) {
        this.failure = e;
    }

    long startedNanos() {
        return startedNanos;
    }

    String headerId() {
        return headerId;
    }

    Notification notification() {
        return notification;
    }

    Address to() {
        return to;
    }

    String id() {
        return id;
    }

    SmtpSender.Delivery delivery() {
        return delivery;
    }

    SmtpFailure failure() {
        return failure;
    }
}
