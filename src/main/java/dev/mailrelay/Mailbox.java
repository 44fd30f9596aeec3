package dev.mailrelay;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.ElementType.RECORD_COMPONENT;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Retention;
import java.lang.annotation.Target;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;

/** The value is exactly one mailbox that {@link Address#parse} accepts; null is left to @NotNull. */
@Target({ FIELD, PARAMETER, RECORD_COMPONENT })
@Retention(RUNTIME)
@Constraint(validatedBy = Mailbox.Validator.class)
public @interface Mailbox {

    String message() default "must be one email address";

    /** Also accept {@code Display Name <address>}. */
    boolean displayName() default false;

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};

    class Validator implements ConstraintValidator<Mailbox, String> {
        private boolean displayName;

        @Override
        public void initialize(Mailbox annotation) {
            displayName = annotation.displayName();
        }

        @Override
        public boolean isValid(String value, ConstraintValidatorContext context) {
            return value == null || Address.parse(value, displayName).isPresent();
        }
    }
}
