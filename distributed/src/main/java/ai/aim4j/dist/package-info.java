/** Collectives across the processes of one job: the interface the engines use, a job of one process, and Open MPI called through FFM. */
package ai.aim4j.dist;
