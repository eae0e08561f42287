namespace CommandCenter.FakeAnthropic;

/// <summary>The files uploaded to one fake, each visible only to the key that uploaded it, and a log of every accepted upload.</summary>
internal sealed class FakeFileStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, FakeFileUpload> _files = [];
    private readonly List<FakeFileUpload> _uploads = [];

    /// <summary>Every accepted upload in arrival order, deleted ones included.</summary>
    public IReadOnlyList<FakeFileUpload> Uploads
    {
        get { lock (_lock) return [.. _uploads]; }
    }

    public void Add(FakeFileUpload file)
    {
        lock (_lock)
        {
            _files[file.Id] = file;
            _uploads.Add(file);
        }
    }

    /// <summary>The file, if <paramref name="apiKey"/> uploaded it and it is not deleted (Files API: files are scoped to the key's workspace).</summary>
    public FakeFileUpload? Find(string? apiKey, string id)
    {
        lock (_lock) return _files.TryGetValue(id, out var file) && file.ApiKey == apiKey ? file : null;
    }

    /// <summary>The key's files, newest first, as <c>GET /v1/files</c> lists them.</summary>
    public IReadOnlyList<FakeFileUpload> ListFor(string apiKey)
    {
        lock (_lock) return [.. _files.Values.Where(f => f.ApiKey == apiKey).OrderByDescending(f => f.CreatedAt)];
    }

    public bool Delete(string apiKey, string id)
    {
        lock (_lock) return _files.TryGetValue(id, out var file) && file.ApiKey == apiKey && _files.Remove(id);
    }

    /// <summary>Clears the log of uploads; the files stay usable.</summary>
    public void ForgetUploads()
    {
        lock (_lock) _uploads.Clear();
    }
}
