#include <stdio.h>
int main(void)
{
    puts("cellpipe");
    return 0;
}
