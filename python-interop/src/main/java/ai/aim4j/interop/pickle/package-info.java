/** Python's pickle, restricted to what a PyTorch state dict needs: nothing from a file is ever executed. */
package ai.aim4j.interop.pickle;
