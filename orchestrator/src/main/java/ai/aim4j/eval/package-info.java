/** Evaluation of a trunk and its probe head: accuracy, loss, per-class accuracy and the confusion matrix. */
package ai.aim4j.eval;
