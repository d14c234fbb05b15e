/**
 * {@code aim4j stream}: the pre-training loader's batches written into a ring of shared-memory
 * slots, one tensor file per slot, for a consumer in another process (Python's
 * {@code aim4j.data.JavaLoader}) that maps the slots once and reads each batch without a copy.
 */
package ai.aim4j.stream;
