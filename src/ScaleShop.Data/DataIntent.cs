namespace ScaleShop.Data;

/// <summary>
/// What a caller will do with a connection. On embedded defaults every intent reaches the same file; with
/// replicas a <see cref="Read"/> may be served by a replica (possibly behind), while <see cref="Write"/> and
/// <see cref="ReadYourWrites"/> go to the primary.
/// </summary>
public enum DataIntent
{
    Read,
    ReadYourWrites,
    Write,
}
