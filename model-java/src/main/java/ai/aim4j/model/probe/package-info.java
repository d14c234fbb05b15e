/** Classifiers trained on cached features: the attention-pooling probe head alone, and the raw-pixel baseline. */
package ai.aim4j.model.probe;
