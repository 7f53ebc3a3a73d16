#ifndef CELLPIPE_TEST_NET_FIXTURE_H
#define CELLPIPE_TEST_NET_FIXTURE_H
/*
 * Start a Python HTTP fixture from tests/fixtures/ (stdlib only, run by /usr/bin/python3 so
 * the Debian interpreter is used) and read the "PORT <n>" line it prints when ready.
 * Tests run from the repository root (tests/run-all cd's there).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct fixture {
    pid_t pid;
    int port;
};

static const char *fixture_python(void)
{
    const char *py = getenv("CP_TEST_PYTHON");
    if (py && *py)
        return py;
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

/* 0 when started; -1 when python or the script is missing (the caller SKIPs). */
static int fixture_start(struct fixture *fx, const char *script, const char *arg)
{
    int fd[2];
    fx->pid = -1;
    fx->port = 0;
    if (access(script, R_OK) != 0 || pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        const char *py = fixture_python();
        execlp(py, py, script, arg, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    FILE *f = fdopen(fd[0], "r");
    char line[64];
    if (f && fgets(line, sizeof(line), f) && sscanf(line, "PORT %d", &fx->port) == 1) {
        fx->pid = pid;
        fclose(f);
        return 0;
    }
    if (f)
        fclose(f);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static void fixture_stop(struct fixture *fx)
{
    if (fx->pid > 0) {
        kill(fx->pid, SIGTERM);
        waitpid(fx->pid, NULL, 0);
    }
    fx->pid = -1;
}

#endif
