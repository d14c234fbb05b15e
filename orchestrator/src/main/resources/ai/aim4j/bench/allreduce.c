/*
 * The peer of `aim4j bench allreduce`: the same sweep of in-place float32 sums, called from C.
 * Usage: allreduce ITERATIONS_BUDGET_BYTES SIZE...; rank 0 prints "bytes median_seconds" per size.
 * Each size is timed exactly as the Java side times it: the same untimed calls, then the median of
 * single calls.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int by_value(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static int warmup(long long budget, long long bytes) {
    long long n = budget / bytes / 4;
    return (int) (n < 3 ? 3 : n > 50000 ? 50000 : n);
}

static int iterations(long long budget, long long bytes) {
    long long n = budget / (bytes > 0 ? bytes : 1);
    return (int) (n < 5 ? 5 : n > 200 ? 200 : n);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    long long budget = atoll(argv[1]);
    for (int a = 2; a < argc; a++) {
        long long bytes = atoll(argv[a]);
        int count = (int) (bytes / 4);
        float *values = calloc((size_t) count, sizeof(float));
        int n = iterations(budget, bytes);
        double *t = malloc(sizeof(double) * (size_t) n);
        for (int i = 0; i < warmup(budget, bytes); i++) {
            MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        }
        for (int i = 0; i < n; i++) {
            double start = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            t[i] = MPI_Wtime() - start;
        }
        qsort(t, (size_t) n, sizeof(double), by_value);
        double median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
        if (rank == 0) {
            printf("%lld %.9f\n", bytes, median);
        }
        free(t);
        free(values);
    }
    MPI_Finalize();
    return 0;
}
