// LD_PRELOAD shim for bench/key.sh: fsync, fdatasync and syncfs return at once, so a run
// shows what the durability of its writes costs. Never for real use.
extern "C" {

int fsync(int /*fd*/)
{
  return 0;
}

int fdatasync(int /*fd*/)
{
  return 0;
}

int syncfs(int /*fd*/)
{
  return 0;
}

}
