namespace ScaleShop.Load;

/// <summary>
/// The signed-in part of the population: <see cref="LoadProfile.ActiveSessions"/> slots, each a seeded user
/// with the token they got from a real sign-in. A slot serves <see cref="LoadProfile.JourneysPerSession"/>
/// journeys and is then taken by another user drawn from the whole population, who signs in again: so sign-ins
/// (PBKDF2 on the service, deliberately expensive) happen at a realistic share of traffic, and over a long run
/// the shoppers are spread over all the seeded accounts. A session runs one journey at a time, as one person
/// does (two checkouts of one cart at once would make the second find it empty): a journey takes a free slot.
/// </summary>
public sealed class Shoppers(LoadProfile profile)
{
    private readonly Session[] _sessions = new Session[profile.ActiveSessions];
    private readonly Lock _lock = new();

    private const int SlotsTried = 16;

    /// <summary>A free session for one journey; give it back with <see cref="Release"/>.</summary>
    public Session Take(Random random)
    {
        lock (_lock)
        {
            for (var attempt = 0; attempt < SlotsTried; attempt++)
            {
                var slot = random.Next(_sessions.Length);
                var session = _sessions[slot];
                if (session is { Busy: true })
                {
                    continue;
                }

                if (session is null || session.JourneysLeft <= 0)
                {
                    session = _sessions[slot] = new Session(random.Next(profile.Users), profile.JourneysPerSession);
                }

                session.JourneysLeft--;
                session.Busy = true;
                return session;
            }
        }

        // Every slot tried is mid-journey (more journeys in flight than sessions): a visitor of one journey.
        return new Session(random.Next(profile.Users), journeys: 0) { Busy = true };
    }

    public void Release(Session session)
    {
        lock (_lock)
        {
            session.Busy = false;
        }
    }

    public sealed class Session(int userIndex, int journeys)
    {
        public int UserIndex { get; } = userIndex;

        public string Email => Data.Seeding.Seeder.SeedEmail(UserIndex);

        public int JourneysLeft { get; set; } = journeys;

        public bool Busy { get; set; }

        private volatile string? _token;

        /// <summary>The bearer token once signed in; journeys of one session may race to sign in, and the last token wins.</summary>
        public string? Token
        {
            get => _token;
            set => _token = value;
        }
    }
}
