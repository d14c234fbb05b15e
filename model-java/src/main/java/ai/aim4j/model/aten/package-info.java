/**
 * ATen operators from Java beyond DJL's API: libtorch's stable dispatcher ABI (boxed, autograd
 * included) and the fused optimizer kernel, both resolved in the libtorch DJL loaded.
 */
package ai.aim4j.model.aten;
