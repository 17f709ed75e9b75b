/*
 * no_startup.c - a test provider that is a shared object but no provider:
 * it exports no WSPStartup.
 */
__attribute__((visibility("default"))) int not_wspstartup(void)
{
    return 0;
}
