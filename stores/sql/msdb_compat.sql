-- ssisd: a schema compatible with the SSIS package store of msdb (SQL Server 2008 and later),
-- for databases that are not a real msdb (Azure SQL Database, another TDS server, a test
-- database). Same table names, columns and keys as msdb.dbo.sysssispackagefolders and
-- msdb.dbo.sysssispackages, and procedures with the names, parameters and result columns of
-- msdb's sp_ssis_* procedures, so that ssisd, dtutil-style tools and the tests work unchanged.
--
-- Differences from msdb, on purpose: the procedures do not check the db_ssis* roles (grant
-- EXECUTE to whom may manage packages), and errors are raised as text
-- (error 50000) rather than msdb's message numbers, which not every server has.
-- Every statement is idempotent: running the script again changes nothing. Batches are
-- separated by lines holding only GO.

IF OBJECT_ID(N'dbo.sysssispackagefolders', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.sysssispackagefolders (
        folderid uniqueidentifier NOT NULL CONSTRAINT PK_sysssispackagefolders PRIMARY KEY NONCLUSTERED,
        parentfolderid uniqueidentifier NULL,
        foldername sysname NOT NULL
    );
    CREATE UNIQUE CLUSTERED INDEX U_sysssispackagefoldersuniquepath
        ON dbo.sysssispackagefolders (parentfolderid, foldername);
END
GO

IF OBJECT_ID(N'dbo.sysssispackages', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.sysssispackages (
        name sysname NOT NULL,
        id uniqueidentifier NOT NULL,
        description nvarchar(1024) NULL,
        createdate datetime NOT NULL,
        folderid uniqueidentifier NOT NULL,
        ownersid varbinary(85) NOT NULL,
        packagedata image NOT NULL,
        packageformat int NOT NULL,
        packagetype int NOT NULL CONSTRAINT DF_sysssispackages_packagetype DEFAULT (0),
        vermajor int NOT NULL,
        verminor int NOT NULL,
        verbuild int NOT NULL,
        vercomments nvarchar(1024) NULL,
        verid uniqueidentifier NOT NULL,
        isencrypted bit NOT NULL CONSTRAINT DF_sysssispackages_isencrypted DEFAULT (0),
        readrolesid varbinary(85) NULL,
        writerolesid varbinary(85) NULL,
        CONSTRAINT pk_sysssispackages PRIMARY KEY NONCLUSTERED (folderid, name)
    );
END
GO

-- The root of the tree and the well-known Maintenance Plans folder, as msdb has them.
IF NOT EXISTS (SELECT 1 FROM dbo.sysssispackagefolders WHERE folderid = '00000000-0000-0000-0000-000000000000')
    INSERT INTO dbo.sysssispackagefolders (folderid, parentfolderid, foldername)
    VALUES ('00000000-0000-0000-0000-000000000000', NULL, N'');
IF NOT EXISTS (SELECT 1 FROM dbo.sysssispackagefolders WHERE folderid = '08AA12D5-8F98-4DAB-A4FC-980B150A5DC8')
    INSERT INTO dbo.sysssispackagefolders (folderid, parentfolderid, foldername)
    VALUES ('08AA12D5-8F98-4DAB-A4FC-980B150A5DC8', '00000000-0000-0000-0000-000000000000', N'Maintenance Plans');
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_addfolder
    @parentfolderid uniqueidentifier,
    @name sysname,
    @folderid uniqueidentifier = NULL
AS
BEGIN
    SET NOCOUNT ON;
    IF @folderid IS NULL SET @folderid = NEWID();
    INSERT INTO dbo.sysssispackagefolders (folderid, parentfolderid, foldername)
    VALUES (@folderid, @parentfolderid, @name);
    RETURN 0;
END
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_deletefolder
    @folderid uniqueidentifier
AS
BEGIN
    SET NOCOUNT ON;
    IF @folderid = '00000000-0000-0000-0000-000000000000'
    BEGIN
        RAISERROR (N'The root folder cannot be deleted.', 16, 1);
        RETURN 1;
    END
    IF EXISTS (SELECT 1 FROM dbo.sysssispackages WHERE folderid = @folderid)
       OR EXISTS (SELECT 1 FROM dbo.sysssispackagefolders WHERE parentfolderid = @folderid)
    BEGIN
        RAISERROR (N'The folder is not empty: it holds packages or folders.', 16, 1);
        RETURN 1;
    END
    DELETE FROM dbo.sysssispackagefolders WHERE folderid = @folderid;
    RETURN 0;
END
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_renamefolder
    @folderid uniqueidentifier,
    @name sysname
AS
BEGIN
    SET NOCOUNT ON;
    UPDATE dbo.sysssispackagefolders SET foldername = @name WHERE folderid = @folderid;
    RETURN 0;
END
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_getfolder
    @name sysname,
    @parentfolderid uniqueidentifier
AS
BEGIN
    SET NOCOUNT ON;
    SELECT f.folderid, f.foldername, f.parentfolderid, p.foldername AS parentfoldername
    FROM dbo.sysssispackagefolders AS f
    LEFT JOIN dbo.sysssispackagefolders AS p ON p.folderid = f.parentfolderid
    WHERE f.foldername = @name
      AND (f.parentfolderid = @parentfolderid OR (f.parentfolderid IS NULL AND @parentfolderid IS NULL));
END
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_listfolders
    @parentfolderid uniqueidentifier = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SELECT folderid, parentfolderid, foldername
    FROM dbo.sysssispackagefolders
    WHERE parentfolderid = @parentfolderid OR (parentfolderid IS NULL AND @parentfolderid IS NULL)
    ORDER BY foldername;
END
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_listpackages
    @folderid uniqueidentifier
AS
BEGIN
    SET NOCOUNT ON;
    SELECT name, id, description, createdate, folderid, DATALENGTH(packagedata) AS packagesize,
           vermajor, verminor, verbuild, vercomments, verid
    FROM dbo.sysssispackages
    WHERE folderid = @folderid
    ORDER BY name;
END
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_checkexists
    @name sysname,
    @folderid uniqueidentifier
AS
BEGIN
    SET NOCOUNT ON;
    SELECT 1 FROM dbo.sysssispackages WHERE name = @name AND folderid = @folderid;
END
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_getpackage
    @name sysname,
    @folderid uniqueidentifier
AS
BEGIN
    SET NOCOUNT ON;
    SELECT packagedata FROM dbo.sysssispackages WHERE name = @name AND folderid = @folderid;
END
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_putpackage
    @name sysname,
    @id uniqueidentifier,
    @description nvarchar(1024),
    @createdate datetime,
    @folderid uniqueidentifier,
    @packagedata image,
    @packageformat int,
    @packagetype int,
    @vermajor int,
    @verminor int,
    @verbuild int,
    @vercomments nvarchar(1024),
    @verid uniqueidentifier
AS
BEGIN
    SET NOCOUNT ON;
    IF EXISTS (SELECT 1 FROM dbo.sysssispackages WITH (UPDLOCK, HOLDLOCK) WHERE name = @name AND folderid = @folderid)
        UPDATE dbo.sysssispackages
        SET id = @id, description = @description, createdate = @createdate,
            packagedata = @packagedata, packageformat = @packageformat, packagetype = @packagetype,
            vermajor = @vermajor, verminor = @verminor, verbuild = @verbuild,
            vercomments = @vercomments, verid = @verid
        WHERE name = @name AND folderid = @folderid;
    ELSE
        INSERT INTO dbo.sysssispackages (name, id, description, createdate, folderid, ownersid,
            packagedata, packageformat, packagetype, vermajor, verminor, verbuild, vercomments, verid)
        VALUES (@name, @id, @description, @createdate, @folderid, ISNULL(SUSER_SID(), 0x00),
            @packagedata, @packageformat, @packagetype, @vermajor, @verminor, @verbuild,
            @vercomments, @verid);
    RETURN 0;
END
GO

CREATE OR ALTER PROCEDURE dbo.sp_ssis_deletepackage
    @name sysname,
    @folderid uniqueidentifier
AS
BEGIN
    SET NOCOUNT ON;
    DELETE FROM dbo.sysssispackages WHERE name = @name AND folderid = @folderid;
    RETURN 0;
END
GO
