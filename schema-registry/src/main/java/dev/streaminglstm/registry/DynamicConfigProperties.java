package dev.streaminglstm.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

/**
 * Stands in for the bean that Apicurio's {@code config-index} Quarkus extension builds at build time: the list of
 * the registry's dynamic (changeable at run time) configuration properties. That extension's {@code -deployment}
 * artifact is not on Maven Central, so the registry built here has none: every property keeps its static value,
 * and the admin API lists no dynamic property. The schema APIs do not depend on it.
 */
public class DynamicConfigProperties {

    @Produces
    @Singleton
    DynamicConfigPropertyList none() {
        return new DynamicConfigPropertyList(List.of());
    }
}
